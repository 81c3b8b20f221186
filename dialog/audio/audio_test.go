package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"testing"
	"time"
)

func sine(rate int, freq, amp float64, d time.Duration) PCM {
	n := SamplesFor(rate, d)
	p := PCM{Rate: rate, Samples: make([]int16, n)}
	for i := range p.Samples {
		p.Samples[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return p
}

// middle drops the first and last 10% where the filter sees the edges of the clip.
func middle(s []int16) []int16 { return s[len(s)/10 : len(s)-len(s)/10] }

func TestResamplePassBandAndStopBand(t *testing.T) {
	tests := []struct {
		from, to int
		freq     float64
		wantDB   float64 // expected level of the output relative to the input
		tol      float64
	}{
		{48000, 16000, 1000, 0, 0.1},
		{48000, 16000, 6500, 0, 0.2},
		{48000, 16000, 10000, -100, 30}, // would alias to 6 kHz: must be gone
		{48000, 16000, 15000, -100, 30},
		{16000, 48000, 1000, 0, 0.1},
		{22050, 48000, 3000, 0, 0.1},
		{22050, 16000, 9000, -100, 30}, // above 8 kHz: must be removed
		{48000, 22050, 440, 0, 0.1},
	}
	for _, tt := range tests {
		in := sine(tt.from, tt.freq, 0.5, time.Second)
		out, err := Resample(in, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		if want := tt.to; len(out.Samples) != want {
			t.Errorf("%d→%d: got %d samples, want %d", tt.from, tt.to, len(out.Samples), want)
		}
		got := DBFS(RMS(middle(out.Samples))) - DBFS(RMS(middle(in.Samples)))
		if math.Abs(got-tt.wantDB) > tt.tol {
			t.Errorf("%d→%d %.0f Hz: level %.2f dB, want %.1f±%.1f",
				tt.from, tt.to, tt.freq, got, tt.wantDB, tt.tol)
		}
	}
}

func TestResamplerChunksMatchWholeStream(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	in := sine(22050, 700, 0.8, 700*time.Millisecond).Samples
	for i := range in {
		in[i] += int16(rng.Intn(2000) - 1000)
	}
	for _, pair := range [][2]int{{22050, 48000}, {48000, 16000}, {16000, 48000}} {
		whole, _ := NewResampler(pair[0], pair[1])
		want := whole.Process(nil, in)
		chunked, _ := NewResampler(pair[0], pair[1])
		var got []int16
		for rest := in; len(rest) > 0; {
			n := min(1+rng.Intn(500), len(rest))
			got = chunked.Process(got, rest[:n])
			rest = rest[n:]
		}
		if !equal(got, want) {
			t.Errorf("%v: chunked output differs from one-shot output (%d vs %d samples)",
				pair, len(got), len(want))
		}
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResampleIsAligned(t *testing.T) {
	// A click at 0.5 s must stay at 0.5 s.
	in := PCM{Rate: 22050, Samples: make([]int16, 22050)}
	in.Samples[11025] = 30000
	out, err := Resample(in, 48000)
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	for i, s := range out.Samples {
		if abs(int(s)) > abs(int(out.Samples[peak])) {
			peak = i
		}
	}
	if peak < 23999 || peak > 24001 {
		t.Errorf("click moved to sample %d, want 24000", peak)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestResampleRejectsBadRates(t *testing.T) {
	for _, r := range [][2]int{{0, 16000}, {48000, -1}, {1 << 30, 16000}} {
		if _, err := NewResampler(r[0], r[1]); err == nil {
			t.Errorf("NewResampler(%d, %d): no error", r[0], r[1])
		}
	}
}

func TestWAVRoundTrip(t *testing.T) {
	in := sine(16000, 440, 0.3, 250*time.Millisecond)
	b, err := EncodeWAV(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadWAV(bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Rate != 16000 || !equal(out.Samples, in.Samples) {
		t.Fatalf("round trip changed the audio: rate %d, %d samples", out.Rate, len(out.Samples))
	}
}

// rawWAV builds a WAV file by hand so the tests do not depend on the encoder.
func rawWAV(format, chans, rate, bits int, data []byte) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(format))
	w(uint16(chans))
	w(uint32(rate))
	w(uint32(rate * chans * bits / 8))
	w(uint16(chans * bits / 8))
	w(uint16(bits))
	b.WriteString("data")
	w(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestReadWAVStereo24BitMixesDown(t *testing.T) {
	// Two frames: left +0.5, right -0.25 full scale (24-bit), then both +0.25.
	enc := func(v int32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
	var data []byte
	for _, v := range []int32{0x400000, -0x200000, 0x200000, 0x200000} {
		data = append(data, enc(v)...)
	}
	p, err := ReadWAV(bytes.NewReader(rawWAV(1, 2, 44100, 24, data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{(16384 - 8192) / 2, 8192}
	if p.Rate != 44100 || !equal(p.Samples, want) {
		t.Fatalf("got rate %d samples %v, want 44100 %v", p.Rate, p.Samples, want)
	}
}

func TestReadWAVStreamedSizes(t *testing.T) {
	data := make([]byte, 2400*2)
	b := rawWAV(1, 1, 24000, 16, data)
	binary.LittleEndian.PutUint32(b[4:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(b[40:], 0xFFFFFFFF)
	p, err := DecodeWAV(b, time.Minute)
	if err != nil || p.Rate != 24000 || len(p.Samples) != 2400 {
		t.Fatalf("streamed WAV: %v, rate %d, %d samples", err, p.Rate, len(p.Samples))
	}
	if p, err := ReadWAV(bytes.NewReader(b), time.Minute); err != nil || len(p.Samples) != 2400 {
		t.Fatalf("streamed WAV file: %v, %d samples", err, len(p.Samples))
	}
	if _, err := DecodeWAV(b, 50*time.Millisecond); !errors.Is(err, ErrTooLong) {
		t.Errorf("streamed WAV over the limit: %v", err)
	}
}

func TestReadWAVBadInput(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		max  time.Duration
		want error
	}{
		{"text", []byte("hello, this is not audio at all"), 0, ErrNotWAV},
		{"empty", nil, 0, ErrNotWAV},
		{"float", rawWAV(3, 1, 16000, 32, make([]byte, 64)), 0, nil},
		{"no samples", rawWAV(1, 1, 16000, 16, nil), 0, ErrEmpty},
		{"too long", rawWAV(1, 1, 8000, 16, make([]byte, 8000*2*3)), 2 * time.Second, ErrTooLong},
		{"odd rate", rawWAV(1, 1, 100, 16, make([]byte, 64)), 0, nil},
	}
	for _, tt := range tests {
		_, err := ReadWAV(bytes.NewReader(tt.data), tt.max)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(rawWAV(1, 1, 16000, 16, make([]byte, 32)))
	f.Add(rawWAV(1, 2, 8000, 8, make([]byte, 7)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeWAV(b, time.Minute)
	})
}

func BenchmarkResample48kTo16k(b *testing.B) { benchResample(b, 48000, 16000) }
func BenchmarkResample16kTo48k(b *testing.B) { benchResample(b, 16000, 48000) }
func BenchmarkResample22kTo48k(b *testing.B) { benchResample(b, 22050, 48000) }

// benchResample measures one 20 ms chunk; ns/op divided by 20 ms is the share of a
// core one stream costs.
func benchResample(b *testing.B, from, to int) {
	in := sine(from, 440, 0.5, 20*time.Millisecond).Samples
	r, _ := NewResampler(from, to)
	out := make([]int16, 0, 2048)
	b.SetBytes(int64(2 * len(in)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out = r.Process(out[:0], in)
	}
}

func TestRemoveDC(t *testing.T) {
	in := sine(16000, 300, 0.2, time.Second)
	for i := range in.Samples {
		in.Samples[i] += 5000
	}
	out := RemoveDC(in.Samples)
	var mean float64
	for _, s := range middle(out) {
		mean += float64(s)
	}
	mean /= float64(len(middle(out)))
	if math.Abs(mean) > 50 {
		t.Errorf("mean after RemoveDC %.1f", mean)
	}
	if got := DBFS(RMS(middle(out))); math.Abs(got-DBFS(0.2/math.Sqrt2)) > 0.5 {
		t.Errorf("300 Hz level changed to %.2f dBFS", got)
	}
}
