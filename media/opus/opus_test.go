package opus

import (
	"math"
	"testing"
)

// vowel fills pcm with a synthetic sustained vowel starting at sample pos: a 120 Hz glottal
// pulse train shaped by three formant resonances (roughly /a/), with a slow pitch wobble, so
// that the encoder sees speech-like harmonics rather than a pure tone.
func vowel(pcm []int16, pos int) {
	formants := [...]struct{ f, bw, gain float64 }{{730, 90, 1}, {1090, 110, 0.5}, {2440, 170, 0.25}}
	for i := range pcm {
		tm := float64(pos+i) / SampleRate
		f0 := 120 + 8*math.Sin(2*math.Pi*3*tm)
		var v float64
		for h := 1; float64(h)*f0 < 4000; h++ {
			fh := float64(h) * f0
			var env float64
			for _, fm := range formants {
				d := (fh - fm.f) / fm.bw
				env += fm.gain / (1 + d*d)
			}
			v += env * math.Sin(2*math.Pi*fh*tm) / float64(h)
		}
		pcm[i] = int16(6000 * v)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder16k()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()

	in := make([]int16, FrameSamples)
	pkt := make([]byte, MaxPacketBytes)
	var out []int16
	var inEnergy float64
	for f := range 50 {
		vowel(in, f*FrameSamples)
		for _, s := range in {
			inEnergy += float64(s) * float64(s)
		}
		n, err := enc.Encode(in, pkt)
		if err != nil {
			t.Fatal(err)
		}
		if n < 10 || n > 400 {
			t.Fatalf("frame %d: packet of %d bytes, want a 32 kbps-sized packet", f, n)
		}
		if got, _ := PacketSamples(pkt[:n]); got != FrameSamples {
			t.Fatalf("packet decodes to %d samples, want %d", got, FrameSamples)
		}
		before := len(out)
		if out, err = dec.Decode(pkt[:n], out); err != nil {
			t.Fatal(err)
		}
		if len(out)-before != RecognitionFrameSamples {
			t.Fatalf("got %d samples at 16 kHz, want %d", len(out)-before, RecognitionFrameSamples)
		}
	}
	var outEnergy float64
	for _, s := range out {
		outEnergy += float64(s) * float64(s)
	}
	// Energy per sample should survive coding and decimation (the vowel lies below 4 kHz).
	ratio := (outEnergy / float64(len(out))) / (inEnergy / float64(50*FrameSamples))
	if ratio < 0.5 || ratio > 1.5 {
		t.Fatalf("energy ratio out/in %.2f, want about 1", ratio)
	}

	before := len(out)
	if out, err = dec.Conceal(FrameSamples, out); err != nil {
		t.Fatal(err)
	}
	if len(out)-before != RecognitionFrameSamples {
		t.Fatalf("conceal gave %d samples, want %d", len(out)-before, RecognitionFrameSamples)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := NewEncoder(EncoderConfig{Complexity: 11}); err == nil {
		t.Fatal("complexity 11 accepted")
	}
	enc, err := NewEncoder(EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(make([]int16, 100), make([]byte, MaxPacketBytes)); err == nil {
		t.Fatal("100-sample frame accepted")
	}
	enc.Close()
	enc.Close()
	if _, err := enc.Encode(make([]int16, FrameSamples), make([]byte, 10)); err != ErrClosed {
		t.Fatalf("encode after close: %v, want ErrClosed", err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	if _, err := dec.Decode([]byte{0xff, 0xff, 0xff}, make([]int16, 5760)); err == nil {
		t.Fatal("garbage packet decoded without error")
	}
}

func benchEncode(b *testing.B, complexity int) {
	enc, err := NewEncoder(EncoderConfig{Complexity: complexity})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	frames := make([][]int16, 50)
	for i := range frames {
		frames[i] = make([]int16, FrameSamples)
		vowel(frames[i], i*FrameSamples)
	}
	pkt := make([]byte, MaxPacketBytes)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := enc.Encode(frames[i%len(frames)], pkt); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkEncode20msComplexity5(b *testing.B)  { benchEncode(b, 5) }
func BenchmarkEncode20msComplexity10(b *testing.B) { benchEncode(b, 10) }

func BenchmarkDecode20ms(b *testing.B) { benchDecode(b, false) }

func BenchmarkDecode16k20ms(b *testing.B) { benchDecode(b, true) }

func benchDecode(b *testing.B, to16k bool) {
	enc, err := NewEncoder(EncoderConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	var pkts [][]byte
	in := make([]int16, FrameSamples)
	for i := range 50 {
		vowel(in, i*FrameSamples)
		buf := make([]byte, MaxPacketBytes)
		n, err := enc.Encode(in, buf)
		if err != nil {
			b.Fatal(err)
		}
		pkts = append(pkts, buf[:n])
	}
	dec, err := NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	d16, err := NewDecoder16k()
	if err != nil {
		b.Fatal(err)
	}
	defer d16.Close()
	pcm := make([]int16, 5760)
	out := make([]int16, 0, 640)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if to16k {
			out, err = d16.Decode(pkts[i%len(pkts)], out[:0])
		} else {
			_, err = dec.Decode(pkts[i%len(pkts)], pcm)
		}
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}
