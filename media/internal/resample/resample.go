// Package resample holds the media layer's own sample-rate conversion: a 3:1 decimator from
// 48 kHz to 16 kHz behind a linear-phase FIR low-pass, so that speech recognition gets
// alias-free 16 kHz audio from Opus's native 48 kHz.
package resample

import "math"

// decimTaps is the FIR length: odd, so the group delay is a whole number of input samples
// (48, i.e. 1 ms at 48 kHz).
const decimTaps = 97

// decimCutoffHz is the -6 dB point of the low-pass. With a Blackman window and 97 taps the
// transition band is about 2.7 kHz wide, so the stop band (about -74 dB) begins near 8.2 kHz,
// just above the new Nyquist frequency, and the pass band is flat to about 5.4 kHz.
const decimCutoffHz = 6800.0

var decimKernel = makeLowPass(decimTaps, decimCutoffHz/48000.0)

// makeLowPass returns a Blackman-windowed sinc low-pass of n taps with cutoff fc given as a
// fraction of the sample rate, normalised to unit gain at DC.
func makeLowPass(n int, fc float64) []float32 {
	h := make([]float64, n)
	mid := float64(n-1) / 2
	var sum float64
	for i := range h {
		x := float64(i) - mid
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)) +
			0.08*math.Cos(4*math.Pi*float64(i)/float64(n-1))
		h[i] = s * w
		sum += h[i]
	}
	out := make([]float32, n)
	for i := range h {
		out[i] = float32(h[i] / sum)
	}
	return out
}

// Decimator3 converts 48 kHz mono int16 audio to 16 kHz, keeping filter state between calls
// so a stream can be fed in pieces of any length. The zero value is not usable; use
// NewDecimator3. It is not safe for concurrent use.
type Decimator3 struct {
	buf []float32 // filter history followed by samples not yet consumed
}

// NewDecimator3 returns a decimator whose history starts as silence.
func NewDecimator3() *Decimator3 {
	d := &Decimator3{buf: make([]float32, decimTaps-1, decimTaps-1+2880)}
	return d
}

// Delay is the filter's group delay in output (16 kHz) samples.
const Delay = (decimTaps - 1) / 2 / 3

// Process filters in and appends the resulting 16 kHz samples to out, returning it. It keeps
// every third input sample (the first one included), so a stream of n samples yields
// ceil(n/3); fed in multiples of 3 samples, each call yields exactly len(in)/3. It does not
// allocate when out has room and in is at most 60 ms long.
func (d *Decimator3) Process(in []int16, out []int16) []int16 {
	for _, s := range in {
		d.buf = append(d.buf, float32(s))
	}
	k := decimKernel
	p := 0
	for ; p+decimTaps <= len(d.buf); p += 3 {
		out = append(out, clamp16(dot(k, d.buf[p:p+decimTaps])))
	}
	n := copy(d.buf, d.buf[p:])
	d.buf = d.buf[:n]
	return out
}

// Reset clears the filter history.
func (d *Decimator3) Reset() {
	d.buf = d.buf[:decimTaps-1]
	clear(d.buf)
}

// dot returns the inner product of k and w (same length), with four partial sums so the
// additions pipeline.
func dot(k, w []float32) float32 {
	w = w[:len(k)]
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(k); i += 4 {
		a0 += k[i] * w[i]
		a1 += k[i+1] * w[i+1]
		a2 += k[i+2] * w[i+2]
		a3 += k[i+3] * w[i+3]
	}
	for ; i < len(k); i++ {
		a0 += k[i] * w[i]
	}
	return (a0 + a1) + (a2 + a3)
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
