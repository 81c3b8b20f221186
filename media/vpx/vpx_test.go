package vpx

import (
	"image"
	"testing"
	"time"

	"fayun/media/internal/testpattern"
)

func TestEncodeDecode(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{Width: 480, Height: 360})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()

	src := enc.NewFrame()
	keys := 0
	for i := range 60 {
		if i == 30 {
			enc.ForceKeyframe()
		}
		testpattern.Draw(src, time.Duration(i)*40*time.Millisecond)
		f, err := enc.Encode(src)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Data) == 0 {
			t.Fatalf("frame %d dropped", i)
		}
		if f.Keyframe {
			keys++
			if i != 0 && i != 30 {
				t.Errorf("unexpected keyframe at %d", i)
			}
		} else if i == 0 || i == 30 {
			t.Errorf("frame %d is not a keyframe", i)
		}
		// RFC 6386 §9.1: bit 0 of the first byte is 0 for a key frame.
		if isKey := f.Data[0]&1 == 0; isKey != f.Keyframe {
			t.Errorf("frame %d: header says key=%v, flags say %v", i, isKey, f.Keyframe)
		}
		img, err := dec.Decode(f.Data)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if img == nil || img.Rect.Dx() != 480 || img.Rect.Dy() != 360 {
			t.Fatalf("frame %d: decoded %v", i, img)
		}
		if i > 5 {
			if d := testpattern.Luma(src, img); d > 6 {
				t.Errorf("frame %d: mean luma error %.2f, want small", i, d)
			}
		}
	}
	if keys != 2 {
		t.Fatalf("got %d keyframes, want 2", keys)
	}
}

func TestRejectsWrongFrames(t *testing.T) {
	if _, err := NewEncoder(EncoderConfig{Width: 481, Height: 360}); err == nil {
		t.Fatal("odd width accepted")
	}
	enc, err := NewEncoder(EncoderConfig{Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	bad := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	if _, err := enc.Encode(bad); err != ErrFrameFormat {
		t.Fatalf("wrong size: %v, want ErrFrameFormat", err)
	}
	enc.Close()
	enc.Close()
	if _, err := enc.Encode(enc.NewFrame()); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	if _, err := dec.Decode([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); err == nil {
		t.Fatal("garbage decoded")
	}
}

func benchEncode(b *testing.B, w, h, threads int) {
	enc, err := NewEncoder(EncoderConfig{Width: w, Height: h, Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	// Pre-draw two seconds of frames so that only encoding is timed.
	frames := make([]*image.YCbCr, 50)
	for i := range frames {
		frames[i] = enc.NewFrame()
		testpattern.Draw(frames[i], time.Duration(i)*40*time.Millisecond)
	}
	var bytes int
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f, err := enc.Encode(frames[i%len(frames)])
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(f.Data)
		i++
	}
	b.ReportMetric(float64(bytes)*8*25/float64(i)/1000, "kbps@25fps")
}

func BenchmarkEncode480x360(b *testing.B)         { benchEncode(b, 480, 360, 1) }
func BenchmarkEncode640x480(b *testing.B)         { benchEncode(b, 640, 480, 1) }
func BenchmarkEncode640x480Threads2(b *testing.B) { benchEncode(b, 640, 480, 2) }

func BenchmarkDrawPattern480x360(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 480, 360), image.YCbCrSubsampleRatio420)
	i := 0
	for b.Loop() {
		testpattern.Draw(img, time.Duration(i)*40*time.Millisecond)
		i++
	}
}
