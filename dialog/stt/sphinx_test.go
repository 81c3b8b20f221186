package stt

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fayun/dialog/audio"
	"fayun/dialog/tts"
	"fayun/dialog/vad"
)

var (
	sphinxOnce sync.Once
	sphinxEng  *Sphinx
	sphinxErr  error
)

func sphinx(t testing.TB) *Sphinx {
	t.Helper()
	sphinxOnce.Do(func() {
		sphinxEng, sphinxErr = NewSphinx(SphinxConfig{CacheDir: cacheDir()})
	})
	if sphinxErr != nil {
		t.Fatal(sphinxErr)
	}
	return sphinxEng
}

// cacheDir is shared by the tests of one run.
var cacheDir = sync.OnceValue(func() string {
	dir, err := mkTemp()
	if err != nil {
		panic(err)
	}
	return dir
})

func say(t testing.TB, text string, v tts.Voice) audio.PCM {
	t.Helper()
	sp, err := tts.ESpeak{}.Synthesize(context.Background(), text, v)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := audio.Resample(sp.Audio, audio.RateSTT)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// Questions from the model's own sources (questions.txt), verbatim.
var verbatimQuestions = []string{
	"how long is the limitation period for a contract claim",
	"do i need a written employment contract",
	"how long can the probation period be",
	"how is overtime pay calculated",
	"can my employer fire me without notice",
	"how much severance pay do i get if i am dismissed",
	"does the company have to pay social insurance for me",
	"what if the other side breaks the contract",
	"can the landlord keep my deposit when i move out",
	"a customer owes us money and will not pay what should we do",
	"how much registered capital does a company need",
	"a customer wants a refund what are our obligations",
	"how do i register a trademark",
	"can we charge interest on late payments",
}

// Questions written for this test, found in neither source.
var novelQuestions = []string{
	"can my boss fire me without paying severance",
	"how long is the probation period for a three year contract",
	"the landlord will not give back my deposit what should i do",
	"do we have to pay overtime on public holidays",
}

func TestRoundTripWordErrorRate(t *testing.T) {
	s := sphinx(t)
	sources := CommonQuestions()
	cardQuestions, cardProse, err := CardSentences()
	if err != nil {
		t.Fatal(err)
	}
	sources = append(append(sources, cardQuestions...), cardProse...)
	inSources := func(q string) bool {
		for _, src := range sources {
			if strings.Join(Normalize(src), " ") == q {
				return true
			}
		}
		return false
	}
	questions := append([]string(nil), verbatimQuestions...)
	// Card questions: the first colloquial variant of three cards spread over the set.
	all, _ := cardsAll()
	for i := 0; i < len(all); i += len(all)/3 + 1 {
		if len(all[i].VariantsEn) > 0 {
			questions = append(questions, all[i].VariantsEn[0])
		}
	}
	for _, q := range novelQuestions {
		if inSources(q) {
			t.Fatalf("novel question %q is in the model's sources", q)
		}
	}
	questions = append(questions, novelQuestions...)

	var errs, words, novelErrs, novelWords int
	var audioDur, decodeDur time.Duration
	for i, q := range questions {
		v := tts.VoiceFor(i+1, []string{"female", "male"}[i%2], "en")
		pcm := say(t, q, v)
		start := time.Now()
		r, err := s.Recognize(context.Background(), pcm, "en")
		if err != nil {
			t.Fatal(err)
		}
		decodeDur += time.Since(start)
		audioDur += pcm.Duration()
		e, n := WER(q, r.Text)
		errs, words = errs+e, words+n
		if slices.Contains(novelQuestions, q) {
			novelErrs, novelWords = novelErrs+e, novelWords+n
		}
		if e > 0 {
			t.Logf("ref: %s\n        hyp: %s (conf %.2f, %s+%s)", strings.Join(Normalize(q), " "),
				r.Text, r.Confidence, v.ESpeakName, v.ESpeakVariant)
		}
	}
	wer := float64(errs) / float64(words)
	t.Logf("WER %.3f over %d questions (%d words); not in sources: %.3f over %d; "+
		"vocabulary %d words; decode time %.3f× real time",
		wer, len(questions), words, float64(novelErrs)/float64(novelWords), len(novelQuestions),
		s.Model().Words, decodeDur.Seconds()/audioDur.Seconds())
	if len(questions) < 20 {
		t.Errorf("only %d questions", len(questions))
	}
	if wer > 0.25 {
		t.Errorf("word error rate %.3f, want ≤ 0.25", wer)
	}
}

func TestSphinxBadInput(t *testing.T) {
	s := sphinx(t)
	ctx := context.Background()
	if _, err := s.Recognize(ctx, audio.PCM{Rate: 16000}, "en"); !errors.Is(err, audio.ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	second := audio.PCM{Rate: 16000, Samples: make([]int16, 16000)}
	if _, err := s.Recognize(ctx, second, "zh"); !errors.Is(err, ErrLanguage) {
		t.Errorf("Chinese: %v", err)
	}
	long := audio.PCM{Rate: 16000, Samples: make([]int16, 16000*int(MaxUtterance/time.Second+1))}
	if _, err := s.Recognize(ctx, long, "en"); !errors.Is(err, ErrTooLong) {
		t.Errorf("too long: %v", err)
	}
	// Silence, noise, clipping and DC offset: no crash, and nothing legal heard in
	// silence.
	r, err := s.Recognize(ctx, audio.PCM{Rate: 16000, Samples: make([]int16, 32000)}, "en")
	if err != nil || len(Normalize(r.Text)) > 1 {
		t.Errorf("silence: %q, %v", r.Text, err)
	}
	rng := rand.New(rand.NewSource(1))
	noise := make([]int16, 32000)
	for i := range noise {
		noise[i] = int16(rng.NormFloat64() * 3000)
	}
	if _, err := s.Recognize(ctx, audio.PCM{Rate: 16000, Samples: noise}, "en"); err != nil {
		t.Errorf("noise: %v", err)
	}
	q := "how do i register a trademark"
	clean := say(t, q, tts.DefaultVoice("en"))
	for name, f := range map[string]func(int16) int16{
		"clean":   func(s int16) int16 { return s },
		"clipped": func(s int16) int16 { return int16(max(-32768, min(32767, int(s)*3))) },
		"dc":      func(s int16) int16 { return int16(max(-32768, min(32767, int(s)+8000))) },
	} {
		bad := audio.PCM{Rate: 16000, Samples: make([]int16, len(clean.Samples))}
		for i, v := range clean.Samples {
			bad.Samples[i] = f(v)
		}
		r, err := s.Recognize(ctx, bad, "en")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %q", name, r.Text)
		if e, n := WER(q, r.Text); float64(e)/float64(n) > 0.5 {
			t.Errorf("%s: heard %q", name, r.Text)
		}
	}
	// A 48 kHz utterance is resampled, not refused.
	hi, _ := audio.Resample(clean, 48000)
	if r, err := s.Recognize(ctx, hi, "en"); err != nil || r.Text == "" {
		t.Errorf("48 kHz: %q %v", r.Text, err)
	}
}

func TestSphinxCancel(t *testing.T) {
	s := sphinx(t)
	long := say(t, strings.Repeat("how long can the probation period be ", 6), tts.DefaultVoice("en"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Recognize(ctx, long, "en"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := s.Recognize(ctx, long, "en"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while decoding %v of audio: %v", long.Duration(), err)
	}
}

func TestWER(t *testing.T) {
	tests := []struct {
		ref, hyp string
		errs, n  int
	}{
		{"the cat sat", "the cat sat", 0, 3},
		{"the cat sat", "the bat sat down", 2, 3},
		{"pay 30% in 2 days", "pay thirty percent in two days", 0, 6},
		{"", "noise", 1, 0},
	}
	for _, tt := range tests {
		e, n := WER(tt.ref, tt.hyp)
		if e != tt.errs || n != tt.n {
			t.Errorf("WER(%q, %q) = %d/%d, want %d/%d", tt.ref, tt.hyp, e, n, tt.errs, tt.n)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"Pay 30% within 15 days!":      "pay thirty percent within fifteen days",
		"RMB 100,000 or 3.5 times":     "rmb one hundred thousand or three point five times",
		"the 2nd and 21st month":       "the second and twenty first month",
		"Don’t sign; it's a seven-day": "don't sign it's a seven day",
		"1,234,567":                    "one million two hundred thirty four thousand five hundred sixty seven",
	}
	for in, want := range tests {
		if got := strings.Join(Normalize(in), " "); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestARPAIsNormalised(t *testing.T) {
	corpus := [][]string{{"a", "b", "c"}, {"a", "b", "d"}, {"b", "c"}, {"c", "a", "b"}}
	m := newWBModel(countNgrams(corpus))
	vocab := countNgrams(corpus).vocab
	for _, hist := range [][]string{nil, {"a"}, {"b"}, {"a", "b"}, {"x"}, {"c", "a"}} {
		var sum float64
		for _, w := range vocab {
			sum += m.prob(hist, w)
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("P(·|%v) sums to %f", hist, sum)
		}
	}
	// Back-off weights reproduce the interpolated probability of unseen words.
	key := "a b"
	bo := m.backoff(key)
	if got, want := bo*m.prob([]string{"b"}, "a"), m.prob([]string{"a", "b"}, "a"); math.Abs(got-want) > 1e-12 {
		t.Errorf("back-off gives %g, interpolation %g", got, want)
	}
}

func BenchmarkSphinxRecognize(b *testing.B) {
	s := sphinx(b)
	pcm := say(b, "how long is the limitation period for a contract claim", tts.DefaultVoice("en"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Recognize(context.Background(), pcm, "en"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/pcm.Duration().Seconds(), "rtf")
}

// BenchmarkEndOfTurnToTranscript measures the work between the voice activity
// detector's SpeechEnd and the final transcript of a 3.5 s question: one op is one
// recognition of the utterance the detector handed over. The caller waits this plus
// the detector's hangover (700 ms of stream time by default).
func BenchmarkEndOfTurnToTranscript(b *testing.B) {
	s := sphinx(b)
	pcm := say(b, "how long is the limitation period for a contract claim", tts.DefaultVoice("en"))
	stream := append(append(make([]int16, 16000), pcm.Samples...), make([]int16, 16000)...)
	d := vad.New(vad.Config{})
	var utt audio.PCM
	for _, e := range d.Push(stream) {
		if e.Kind == vad.SpeechEnd {
			utt = e.Utterance
		}
	}
	if len(utt.Samples) == 0 {
		b.Fatal("no turn detected")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := s.Recognize(context.Background(), utt, "en")
		if err != nil || r.Text == "" {
			b.Fatalf("%q %v", r.Text, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("Pay 30% of 1,000,000 by the 2nd; 3.5 times!")
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range Normalize(s) {
			if w == "" || strings.ContainsAny(w, " \t\n0123456789") {
				t.Fatalf("bad word %q from %q", w, s)
			}
		}
	})
}
