package resample

import (
	"math"
	"testing"
)

// toneGain feeds a 48 kHz sine of freq Hz through the decimator in 20 ms pieces and returns
// the RMS of the 16 kHz output (after the filter has settled) over the input RMS.
func toneGain(t *testing.T, freq float64) float64 {
	t.Helper()
	d := NewDecimator3()
	const amp = 10000.0
	in := make([]int16, 960)
	var out []int16
	pos := 0
	for range 50 { // one second
		for i := range in {
			in[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(pos)/48000))
			pos++
		}
		out = d.Process(in, out)
	}
	if len(out) != 16000 {
		t.Fatalf("got %d output samples for 1 s, want 16000", len(out))
	}
	var sum float64
	for _, s := range out[1000:] {
		sum += float64(s) * float64(s)
	}
	rms := math.Sqrt(sum / float64(len(out)-1000))
	return rms / (amp / math.Sqrt2)
}

func TestDecimator3PassesSpeechBand(t *testing.T) {
	for _, f := range []float64{200, 1000, 3000, 5000} {
		if g := toneGain(t, f); g < 0.97 || g > 1.03 {
			t.Errorf("%v Hz: gain %.3f, want about 1", f, g)
		}
	}
}

func TestDecimator3RejectsAliases(t *testing.T) {
	// Everything above 8 kHz would fold back into the 16 kHz band.
	for _, f := range []float64{8500, 10000, 13000, 20000} {
		if g := toneGain(t, f); g > 0.001 { // -60 dB
			t.Errorf("%v Hz: gain %.5f (%.1f dB), want below -60 dB", f, g, 20*math.Log10(g))
		}
	}
}

func TestDecimator3OddPieces(t *testing.T) {
	d := NewDecimator3()
	var out []int16
	total := 0
	for _, n := range []int{1, 2, 7, 480, 959, 11} {
		out = d.Process(make([]int16, n), out)
		total += n
	}
	if len(out) != (total+2)/3 {
		t.Fatalf("got %d samples from %d, want %d", len(out), total, (total+2)/3)
	}
}

func BenchmarkDecimator3_20ms(b *testing.B) {
	d := NewDecimator3()
	in := make([]int16, 960)
	for i := range in {
		in[i] = int16(8000 * math.Sin(float64(i)/7))
	}
	out := make([]int16, 0, 320)
	b.ReportAllocs()
	for b.Loop() {
		out = d.Process(in, out[:0])
	}
}
