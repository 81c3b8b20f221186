package vad

import (
	"context"
	"math"
	"math/rand"
	"sync"
	"testing"
	"time"

	"fayun/dialog/audio"
	"fayun/dialog/tts"
)

var (
	speechOnce sync.Once
	speechClip []int16 // eSpeak speech at 16 kHz, trimmed to its voiced part
	speechErr  error
)

// speech returns a sentence spoken by eSpeak NG at 16 kHz with no leading or
// trailing silence, so the clip's edges are the true onset and offset.
func speech(t testing.TB) []int16 {
	t.Helper()
	speechOnce.Do(func() {
		sp, err := tts.ESpeak{}.Synthesize(context.Background(),
			"My employer has not paid my overtime for three months.", tts.DefaultVoice("en"))
		if err != nil {
			speechErr = err
			return
		}
		pcm, err := audio.Resample(sp.Audio, Rate)
		if err != nil {
			speechErr = err
			return
		}
		s := pcm.Samples
		first, last := -1, 0
		for i, v := range s {
			if v > 1000 || v < -1000 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		speechClip = s[first : last+1]
	})
	if speechErr != nil {
		t.Fatal(speechErr)
	}
	return speechClip
}

func silence(d time.Duration) []int16 { return make([]int16, audio.SamplesFor(Rate, d)) }

func noise(d time.Duration, dbfs float64, seed int64) []int16 {
	rng := rand.New(rand.NewSource(seed))
	amp := math.Pow(10, dbfs/20) * 32768
	out := make([]int16, audio.SamplesFor(Rate, d))
	for i := range out {
		out[i] = int16(rng.NormFloat64() * amp)
	}
	return out
}

func dur(n int) time.Duration { return time.Duration(n) * time.Second / Rate }

func concat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// mix adds b onto a (a is copied).
func mix(a, b []int16) []int16 {
	out := append([]int16(nil), a...)
	for i := range out {
		if i < len(b) {
			out[i] = int16(max(-32768, min(32767, int(out[i])+int(b[i]))))
		}
	}
	return out
}

// run pushes s in 20 ms chunks and returns the events with the stream position at
// which each was returned.
func run(s []int16, cfg Config) (events []Event, seenAt []time.Duration) {
	d := New(cfg)
	for off := 0; off < len(s); off += frameSamples {
		end := min(off+frameSamples, len(s))
		for _, e := range d.Push(s[off:end]) {
			events = append(events, e)
			seenAt = append(seenAt, dur(end))
		}
	}
	for _, e := range d.Flush() {
		events = append(events, e)
		seenAt = append(seenAt, dur(len(s)))
	}
	return events, seenAt
}

type turn struct{ start, end time.Duration }

func near(got, want, tol time.Duration) bool { return got >= want-tol && got <= want+tol }

func TestTurns(t *testing.T) {
	sp := speech(t)
	spLen := dur(len(sp))
	const tol = 120 * time.Millisecond
	sec := time.Second
	tests := []struct {
		name  string
		audio []int16
		want  []turn
	}{
		{"silence", silence(5 * sec), nil},
		{"noise", noise(5*sec, -35, 1), nil},
		{"speech", concat(silence(sec), sp, silence(2*sec)), []turn{{sec, sec + spLen}}},
		{"speech in noise", mix(concat(silence(sec), sp, silence(2*sec)), noise(10*sec, -40, 2)),
			[]turn{{sec, sec + spLen}}},
		{"dc offset", addDC(concat(silence(sec), sp, silence(2*sec)), 6000), []turn{{sec, sec + spLen}}},
		{"clipped", gain(concat(silence(sec), sp, silence(2*sec)), 8), []turn{{sec, sec + spLen}}},
		{"short pause", concat(silence(sec), sp, silence(400*time.Millisecond), sp, silence(2*sec)),
			[]turn{{sec, sec + 2*spLen + 400*time.Millisecond}}},
		{"long pause", concat(silence(sec), sp, silence(1500*time.Millisecond), sp, silence(2*sec)),
			[]turn{{sec, sec + spLen}, {sec + spLen + 1500*time.Millisecond, sec + 2*spLen + 1500*time.Millisecond}}},
		{"cut off at end of stream", concat(silence(sec), sp), []turn{{sec, sec + spLen}}},
		{"click", concat(silence(sec), gain(noise(10*time.Millisecond, -10, 3), 1), silence(2*sec)), nil},
		{"cough", concat(silence(sec), noise(180*time.Millisecond, -15, 4), silence(2*sec)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, _ := run(tt.audio, Config{})
			var got []turn
			starts := 0
			for _, e := range events {
				switch e.Kind {
				case SpeechStart:
					starts++
				case SpeechEnd:
					got = append(got, turn{e.Start, e.At})
					if e.Utterance.Duration() < e.At-e.Start {
						t.Errorf("utterance %v shorter than the turn %v", e.Utterance.Duration(), e.At-e.Start)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got turns %v, want %v (events %v)", got, tt.want, kinds(events))
			}
			for i := range got {
				if !near(got[i].start, tt.want[i].start, tol) || !near(got[i].end, tt.want[i].end, tol) {
					t.Errorf("turn %d = %v, want %v ± %v", i, got[i], tt.want[i], tol)
				}
			}
			if starts < len(tt.want) {
				t.Errorf("%d SpeechStart events for %d turns", starts, len(tt.want))
			}
		})
	}
}

func kinds(es []Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind.String()+"@"+e.At.String())
	}
	return out
}

func addDC(s []int16, dc int) []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = int16(max(-32768, min(32767, int(v)+dc)))
	}
	return out
}

func gain(s []int16, g float64) []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = int16(max(-32768, min(32767, float64(v)*g)))
	}
	return out
}

// TestBargeInLatency checks, in stream time, that SpeechStart is reported within
// 200 ms of the onset, and SpeechEnd one hangover after the end of speech.
func TestBargeInLatency(t *testing.T) {
	sp := speech(t)
	in := concat(silence(time.Second), sp, silence(2*time.Second))
	events, seenAt := run(in, Config{})
	if len(events) < 2 || events[0].Kind != SpeechStart || events[len(events)-1].Kind != SpeechEnd {
		t.Fatalf("events %v", kinds(events))
	}
	if lag := seenAt[0] - time.Second; lag < 0 || lag > 200*time.Millisecond {
		t.Errorf("SpeechStart reported %v after onset, want ≤ 200 ms", lag)
	}
	endLag := seenAt[len(seenAt)-1] - (time.Second + dur(len(sp)))
	if endLag < 600*time.Millisecond || endLag > 800*time.Millisecond {
		t.Errorf("SpeechEnd reported %v after the end of speech, want about the 700 ms hangover", endLag)
	}
	t.Logf("barge-in signal %v after onset; end of turn %v after the last word",
		seenAt[0]-time.Second, endLag)
}

func TestMaxUtterance(t *testing.T) {
	sp := speech(t)
	var long []int16
	for dur(len(long)) < 12*time.Second {
		long = append(long, sp...)
		long = append(long, silence(200*time.Millisecond)...)
	}
	events, _ := run(long, Config{MaxUtterance: 5 * time.Second})
	ends := 0
	for _, e := range events {
		if e.Kind == SpeechEnd {
			ends++
			if e.At-e.Start > 5*time.Second+FrameLen {
				t.Errorf("turn of %v exceeds the maximum", e.At-e.Start)
			}
		}
	}
	if ends < 2 {
		t.Errorf("%d turns in 12 s of speech with a 5 s maximum", ends)
	}
}

func TestOddChunkSizes(t *testing.T) {
	sp := speech(t)
	in := concat(silence(time.Second), sp, silence(2*time.Second))
	want, _ := run(in, Config{})
	d := New(Config{})
	var got []Event
	rng := rand.New(rand.NewSource(9))
	for rest := in; len(rest) > 0; {
		n := min(1+rng.Intn(700), len(rest))
		got = append(got, d.Push(rest[:n])...)
		rest = rest[n:]
	}
	if len(got) != len(want) {
		t.Fatalf("chunking changed the events: %v vs %v", kinds(got), kinds(want))
	}
	for i := range got {
		if got[i].Kind != want[i].Kind || got[i].At != want[i].At {
			t.Errorf("event %d: %v vs %v", i, kinds(got[i:i+1]), kinds(want[i:i+1]))
		}
	}
}

func BenchmarkPushFrame(b *testing.B) {
	sp := speech(b)
	in := concat(silence(time.Second), sp, silence(time.Second))
	d := New(Config{})
	b.SetBytes(int64(frameSamples * 2))
	b.ResetTimer()
	off := 0
	for i := 0; i < b.N; i++ {
		if off+frameSamples > len(in) {
			off = 0
		}
		d.Push(in[off : off+frameSamples])
		off += frameSamples
	}
}
