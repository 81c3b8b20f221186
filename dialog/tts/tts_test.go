package tts

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fayun/avatars/viseme"
	"fayun/dialog/audio"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"您好，我是您的数字律师。请问有什么可以帮您？", []string{"您好，我是您的数字律师。", "请问有什么可以帮您？"}},
		{"根据《民法典》第五百七十七条，当事人应当承担违约责任！对吗？！",
			[]string{"根据《民法典》第五百七十七条，当事人应当承担违约责任！", "对吗？！"}},
		{"依照第577条处理；另见第82条。", []string{"依照第577条处理；", "另见第82条。"}},
		{"The rate is 3.5 percent. See Art. 5 and e.g. Mr. Li's case. Done!",
			[]string{"The rate is 3.5 percent.", "See Art. 5 and e.g. Mr. Li's case.", "Done!"}},
		{"He said \"stop.\" Then he left...  Really?", []string{"He said \"stop.\"", "Then he left...", "Really?"}},
		{"Section 1.2.3 applies.\nNext line", []string{"Section 1.2.3 applies.", "Next line"}},
		{"J. Smith signed it. OK.", []string{"J. Smith signed it.", "OK."}},
		{"他说：“可以。”然后走了。", []string{"他说：“可以。”", "然后走了。"}},
		{"   ", nil},
		{"no terminal punctuation", []string{"no terminal punctuation"}},
	}
	for _, tt := range tests {
		if got := Split(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitCutsLongSentencesAtClauses(t *testing.T) {
	long := strings.Repeat("用人单位应当依法与劳动者订立书面劳动合同，", 6) + "否则要支付双倍工资。"
	parts := Split(long)
	if len(parts) < 2 {
		t.Fatalf("long sentence not cut: %q", parts)
	}
	for _, p := range parts {
		if n := len([]rune(p)); n > MaxSentenceRunes {
			t.Errorf("piece of %d runes: %q", n, p)
		}
	}
	if strings.Join(parts, "") != long {
		t.Errorf("pieces do not rejoin to the input")
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("您好。Hello... 3.5% 第五百七十七条！")
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range Split(s) {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("empty piece from %q", s)
			}
		}
	})
}

func TestClean(t *testing.T) {
	tests := map[string]string{
		"Hello 😀 world 👍🏽!": "Hello world !",
		"🎉🎉🎉":               "",
		"...!?":             "",
		"合同\u0000违约\u200d✅": "合同 违约",
		"第577条":             "第577条",
	}
	for in, want := range tests {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVoiceForGivesDistinctNaturalVoices(t *testing.T) {
	seen := map[[4]any]int{}
	for id := 1; id <= 163; id++ {
		g := "female"
		if id%2 == 0 {
			g = "male"
		}
		v := VoiceFor(id, g, "en")
		if v != VoiceFor(id, g, "en") {
			t.Fatalf("VoiceFor(%d) is not deterministic", id)
		}
		if v.Rate < 150 || v.Rate > 180 || v.Pitch < 35 || v.Pitch > 70 || v.Range < 40 || v.Range > 70 {
			t.Errorf("lawyer %d: out of natural range: %v", id, v)
		}
		isMale := strings.HasPrefix(v.ESpeakVariant, "m")
		if isMale != (g == "male") {
			t.Errorf("lawyer %d: variant %q for %s", id, v.ESpeakVariant, g)
		}
		seen[[4]any{v.ESpeakVariant, v.Pitch, v.Rate, v.Range}]++
		if zh := VoiceFor(id, g, "zh"); zh.ESpeakName != "cmn-latn-pinyin" {
			t.Errorf("Mandarin voice %q", zh.ESpeakName)
		}
	}
	if len(seen) < 160 {
		t.Errorf("only %d distinct voices for 163 lawyers", len(seen))
	}
}

func TestShapeForIPA(t *testing.T) {
	tests := map[string]viseme.Shape{
		"m": viseme.MBP, "ˈaɪ": viseme.AA, "tʃ": viseme.SZ, "_": viseme.Rest, "ˌoʊ": viseme.OH,
		"f": viseme.FV, "uː": viseme.UW, "ð": viseme.LTH, "iː": viseme.IH, "tɕʰ": viseme.SZ,
		"": viseme.Rest,
	}
	for in, want := range tests {
		if got := ShapeForIPA(in); got != want {
			t.Errorf("ShapeForIPA(%q) = %v, want %v", in, got, want)
		}
	}
}

func checkSpeech(t *testing.T, sp Speech, minDur time.Duration) {
	t.Helper()
	if sp.Audio.Rate != OutputRate {
		t.Errorf("rate %d, want %d", sp.Audio.Rate, OutputRate)
	}
	if d := sp.Audio.Duration(); d < minDur || d > 30*time.Second {
		t.Errorf("duration %v, want at least %v", d, minDur)
	}
	if lvl := audio.DBFS(audio.RMS(sp.Audio.Samples)); lvl < -40 {
		t.Errorf("level %.1f dBFS: too quiet", lvl)
	}
	tl := sp.Visemes
	if len(tl) < 5 {
		t.Fatalf("timeline too short: %v", tl)
	}
	if last := tl[len(tl)-1]; last.Shape != viseme.Rest || last.At > sp.Audio.Duration() {
		t.Errorf("timeline ends with %v at %v, want rest before %v", last.Shape, last.At, sp.Audio.Duration())
	}
	for i := 1; i < len(tl); i++ {
		if tl[i].At < tl[i-1].At {
			t.Fatalf("timeline out of order at %d", i)
		}
	}
}

func TestESpeakEnglish(t *testing.T) {
	sp, err := ESpeak{}.Synthesize(context.Background(),
		"How long is the limitation period for a contract claim?", DefaultVoice("en"))
	if err != nil {
		t.Fatal(err)
	}
	checkSpeech(t, sp, 2*time.Second)
	shapes := map[viseme.Shape]bool{}
	for _, c := range sp.Visemes {
		shapes[c.Shape] = true
	}
	for _, s := range []viseme.Shape{viseme.MBP, viseme.AA, viseme.LTH, viseme.SZ, viseme.Rest} {
		if !shapes[s] {
			t.Errorf("no %v in the timeline of a sentence that needs it", s)
		}
	}
}

func TestESpeakMandarin(t *testing.T) {
	sp, err := ESpeak{}.Synthesize(context.Background(), "您好，我是您的数字律师。", VoiceFor(7, "male", "zh"))
	if err != nil {
		t.Fatal(err)
	}
	// Ten syllables at a natural pace; the broken "cmn" voice reads pinyin letters
	// and tone digits and runs past five seconds.
	checkSpeech(t, sp, 1500*time.Millisecond)
	if d := sp.Audio.Duration(); d > 4*time.Second {
		t.Errorf("duration %v: not read as Mandarin syllables", d)
	}
}

func TestESpeakBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := (ESpeak{}).Synthesize(ctx, "😀🎉👍", DefaultVoice("en")); !errors.Is(err, ErrNoSpeech) {
		t.Errorf("emoji only: err %v, want ErrNoSpeech", err)
	}
	sp, err := ESpeak{}.Synthesize(ctx, "合同😀违约 contract ABC 3.5%", DefaultVoice("zh"))
	if err != nil || sp.Audio.Duration() < time.Second {
		t.Errorf("mixed text: err %v, duration %v", err, sp.Audio.Duration())
	}
	bad := DefaultVoice("en")
	bad.ESpeakName = "no-such-voice"
	if _, err := (ESpeak{}).Synthesize(ctx, "hello", bad); err == nil {
		t.Error("unknown voice: no error")
	}
}

func TestESpeakCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (ESpeak{}).Synthesize(ctx, "hello there", DefaultVoice("en")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: err %v", err)
	}
	// Cancel in the middle of an hour of speech: synthesis must stop early.
	long := strings.Repeat("The employer must pay the wages in full and on time. ", 2000)
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	if _, err := (ESpeak{}).Synthesize(ctx, long, DefaultVoice("en")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during synthesis: err %v", err)
	}
	// The engine still works afterwards.
	if _, err := (ESpeak{}).Synthesize(context.Background(), "Still here.", DefaultVoice("en")); err != nil {
		t.Fatal(err)
	}
}

func TestESpeakConcurrentCallsAreSerialised(t *testing.T) {
	v := VoiceFor(3, "female", "en")
	want, err := ESpeak{}.Synthesize(context.Background(), "Deposits are returned at the end of the lease.", v)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := ESpeak{}.Synthesize(context.Background(), "Deposits are returned at the end of the lease.", v)
			// eSpeak varies durations slightly from run to run; the phonemes and
			// the length must match, which fails when two syntheses interleave.
			if err != nil || !reflect.DeepEqual(shapesOf(got.Visemes), shapesOf(want.Visemes)) ||
				abs(len(got.Audio.Samples)-len(want.Audio.Samples)) > len(want.Audio.Samples)/50 {
				t.Errorf("concurrent synthesis differs (err %v): %d vs %d samples",
					err, len(got.Audio.Samples), len(want.Audio.Samples))
			}
		}()
	}
	wg.Wait()
}

func TestStreamSentenceBySentence(t *testing.T) {
	ctx := context.Background()
	text := "您好。😀😀。根据第五百七十七条，违约方应当赔偿损失。还有问题吗？"
	var got []string
	for p := range Stream(ctx, ESpeak{}, text, DefaultVoice("zh")) {
		if p.Err != nil {
			t.Fatal(p.Err)
		}
		if p.Index != len(got) {
			t.Errorf("index %d, want %d", p.Index, len(got))
		}
		got = append(got, p.Speech.Text)
	}
	if len(got) != 3 {
		t.Errorf("got %d parts %q, want 3", len(got), got)
	}
}

func TestStreamStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	parts := Stream(ctx, ESpeak{}, strings.Repeat("One more sentence here. ", 50), DefaultVoice("en"))
	<-parts
	cancel()
	n := 0
	for range parts {
		n++
	}
	if n > 2 {
		t.Errorf("%d parts after cancel", n)
	}
}

func BenchmarkESpeakSentence(b *testing.B) {
	v := DefaultVoice("en")
	var audioDur time.Duration
	for i := 0; i < b.N; i++ {
		sp, err := ESpeak{}.Synthesize(context.Background(),
			"How long is the limitation period for a contract claim?", v)
		if err != nil {
			b.Fatal(err)
		}
		audioDur += sp.Audio.Duration()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(audioDur), "rtf")
}

func BenchmarkESpeakSentenceZh(b *testing.B) {
	v := DefaultVoice("zh")
	var audioDur time.Duration
	for i := 0; i < b.N; i++ {
		sp, err := ESpeak{}.Synthesize(context.Background(), "根据民法典第五百七十七条，违约方应当承担继续履行、采取补救措施或者赔偿损失等违约责任。", v)
		if err != nil {
			b.Fatal(err)
		}
		audioDur += sp.Audio.Duration()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(audioDur), "rtf")
}

func shapesOf(t viseme.Timeline) []viseme.Shape {
	var out []viseme.Shape
	for _, c := range t {
		out = append(out, c.Shape)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
