package media

import (
	"image"
	"testing"
	"time"

	"fayun/avatars"
	"fayun/avatars/viseme"
	"fayun/media/opus"
	"fayun/media/vpx"
)

// speakingFrames renders n frames of a talking avatar at 480×360, 25 fps, with a viseme
// every 70 ms: the pictures a speaking call encodes.
func speakingFrames(b *testing.B, n int) []*image.YCbCr {
	a, err := avatars.New(avatars.Persona{ID: 12, Name: "王建国", Gender: "male",
		Specialty: "劳动用工", Firm: "法云律师事务所"}, avatars.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := a.NewRenderer(480, 360)
	if err != nil {
		b.Fatal(err)
	}
	tl := make(viseme.Timeline, 200)
	for i := range tl {
		tl[i] = viseme.Cue{At: time.Duration(i) * 70 * time.Millisecond,
			Shape: viseme.Shape(1 + i*7%(viseme.Count-1))}
	}
	r.Speak(tl, 0)
	frames := make([]*image.YCbCr, n)
	for i := range frames {
		frames[i] = avatars.NewFrame(480, 360)
		if err := r.Render(frames[i], time.Duration(i)*40*time.Millisecond,
			avatars.Speaking); err != nil {
			b.Fatal(err)
		}
	}
	return frames
}

// BenchmarkSpeakingCallEncodeFloor is the floor for one speaking call: the raw VP8 and Opus
// encoding of one second of it (25 frames of a talking avatar at 480×360, 500 kbps, the
// server's encoder settings; 50 Opus frames of voiced audio at complexity 5, 32 kbps),
// with no drawing, packetising, encryption or sending. The load tool's per-speaking-call
// CPU is compared against it (issue 9: at most 1.3×).
func BenchmarkSpeakingCallEncodeFloor(b *testing.B) {
	frames := speakingFrames(b, 100)
	venc, err := vpx.NewEncoder(vpx.EncoderConfig{Width: 480, Height: 360})
	if err != nil {
		b.Fatal(err)
	}
	defer venc.Close()
	aenc, err := opus.NewEncoder(opus.EncoderConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer aenc.Close()
	pcm := vowelSeconds(2)
	out := make([]byte, opus.MaxPacketBytes)
	var bytes int
	b.ResetTimer()
	sec := 0
	for b.Loop() {
		for i := range 25 {
			f, err := venc.Encode(frames[(sec*25+i)%len(frames)])
			if err != nil {
				b.Fatal(err)
			}
			bytes += len(f.Data)
		}
		for i := range 50 {
			off := (sec*50 + i) % 100 * opus.FrameSamples
			if _, err := aenc.Encode(pcm[off:off+opus.FrameSamples], out); err != nil {
				b.Fatal(err)
			}
		}
		sec++
	}
	perCall := b.Elapsed().Seconds() / float64(sec)
	b.ReportMetric(perCall*100, "%core/call")
	b.ReportMetric(float64(bytes)*8/float64(sec)/1000, "video-kbps")
}
