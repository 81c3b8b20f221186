package avatars

import (
	"testing"
	"time"

	"fayun/avatars/viseme"
)

// speechTimeline is a cue every 70 ms cycling through all shapes, so a
// benchmark exercises blends as real speech does.
func speechTimeline(n int) viseme.Timeline {
	tl := make(viseme.Timeline, n)
	for i := range tl {
		tl[i] = viseme.Cue{At: time.Duration(i) * 70 * time.Millisecond,
			Shape: viseme.Shape(1 + i*7%(viseme.Count-1))}
	}
	return tl
}

func benchSpeaking(b *testing.B, w, h int) {
	a := mustAvatar(b, testPersonas(3)[1])
	r, err := a.NewRenderer(w, h)
	if err != nil {
		b.Fatal(err)
	}
	r.Speak(speechTimeline(2000), 0)
	f := NewFrame(w, h)
	// Warm every cache the loop will touch: one pass over the utterance.
	for i := 0; i < 3500; i++ {
		_ = r.Render(f, time.Duration(i)*frameDelta, Speaking)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Duration(i%3500) * frameDelta
		if err := r.Render(f, t, Speaking); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(r.st.bytes.Load())/1024, "KiB/avatar")
}

func BenchmarkSpeakingFrame480x360(b *testing.B)  { benchSpeaking(b, 480, 360) }
func BenchmarkSpeakingFrame640x480(b *testing.B)  { benchSpeaking(b, 640, 480) }
func BenchmarkSpeakingFrame1280x720(b *testing.B) { benchSpeaking(b, 1280, 720) }

// BenchmarkWarmStage measures building every cached layer of one size, and
// reports the bytes an avatar then holds for it.
func BenchmarkWarmStage480x360(b *testing.B) {
	for i := 0; i < b.N; i++ {
		a := mustAvatar(b, testPersonas(3)[1])
		r, _ := a.NewRenderer(480, 360)
		r.Warm()
		b.ReportMetric(float64(r.st.bytes.Load())/1024, "KiB/avatar")
	}
}

func BenchmarkPortrait480x360(b *testing.B) {
	a := mustAvatar(b, testPersonas(3)[1])
	for i := 0; i < b.N; i++ {
		if _, err := a.Portrait(480, 360); err != nil {
			b.Fatal(err)
		}
	}
}
