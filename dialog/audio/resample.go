package audio

import (
	"fmt"
	"math"
	"sync"
)

// Filter design for the resampler. The pass band ends at passBand of the lower
// Nyquist frequency; the stop band starts at that Nyquist frequency, where images and
// aliases are attenuated by at least stopBandDB (Kaiser window design).
const (
	passBand   = 0.90
	stopBandDB = 80.0
)

// Resampler converts a stream of PCM from one sample rate to another with a
// polyphase windowed-sinc low-pass filter. It carries filter state across calls, so a
// stream cut into chunks of any size gives the same output as one call with the
// whole stream: there are no clicks at chunk boundaries. The output lags the input
// by Delay input samples; Flush pushes the tail out. A Resampler is not safe for
// concurrent use.
type Resampler struct {
	from, to int
	bank     *filterBank
	hist     []float32 // the last taps-1 input samples, oldest first
	buf      []float32 // scratch: hist followed by the new input
	next     int64     // index of the next output sample in the upsampled time base
	consumed int64     // input samples consumed so far
}

// NewResampler returns a resampler from rate from to rate to (both in Hz, at most
// 384,000). Equal rates give a resampler that copies.
func NewResampler(from, to int) (*Resampler, error) {
	if from <= 0 || to <= 0 || from > 384000 || to > 384000 {
		return nil, fmt.Errorf("audio: resample %d Hz to %d Hz: unsupported rate", from, to)
	}
	r := &Resampler{from: from, to: to}
	if from == to {
		return r, nil
	}
	r.bank = bankFor(from, to)
	r.hist = make([]float32, r.bank.taps-1) // silence before the stream starts
	return r, nil
}

// Delay returns the filter's group delay in input samples: output sample k
// corresponds to input time k·from/to − Delay.
func (r *Resampler) Delay() float64 {
	if r.bank == nil {
		return 0
	}
	n := r.bank.taps * r.bank.up
	return float64(n-1) / float64(2*r.bank.up)
}

// Process resamples in and appends the output samples to out, returning it.
func (r *Resampler) Process(out []int16, in []int16) []int16 {
	if r.bank == nil {
		return append(out, in...)
	}
	b := r.bank
	r.buf = append(r.buf[:0], r.hist...)
	for _, s := range in {
		r.buf = append(r.buf, float32(s))
	}
	// buf[j] holds input sample number base+j.
	base := r.consumed - int64(len(r.hist))
	r.consumed += int64(len(in))
	L, M := int64(b.up), int64(b.down)
	for {
		i := r.next / L // newest input sample the output needs
		if i >= r.consumed {
			break
		}
		out = append(out, clip16(dot(b.phases[r.next%L], r.buf[i-base-int64(b.taps)+1:i-base+1])))
		r.next += M
	}
	r.hist = append(r.hist[:0], r.buf[len(r.buf)-len(r.hist):]...)
	return out
}

// Flush feeds enough silence to push out the samples still held by the filter and
// appends them to out. The resampler can keep being used afterwards.
func (r *Resampler) Flush(out []int16) []int16 {
	if r.bank == nil {
		return out
	}
	return r.Process(out, make([]int16, r.bank.taps/2+1))
}

// Resample converts a whole clip to rate to, compensating the filter delay so the
// output is aligned with the input and has len·to/from samples (rounded up).
func Resample(p PCM, to int) (PCM, error) {
	if p.Rate == to {
		return PCM{Rate: to, Samples: append([]int16(nil), p.Samples...)}, nil
	}
	r, err := NewResampler(p.Rate, to)
	if err != nil {
		return PCM{}, err
	}
	want := int((int64(len(p.Samples))*int64(to) + int64(p.Rate) - 1) / int64(p.Rate))
	skip := int(math.Round(r.Delay() * float64(to) / float64(p.Rate)))
	out := make([]int16, 0, want+skip+16)
	out = r.Process(out, p.Samples)
	out = r.Flush(out)
	out = out[min(skip, len(out)):]
	if len(out) > want {
		out = out[:want]
	}
	return PCM{Rate: to, Samples: out}, nil
}

// filterBank is the polyphase decomposition of one low-pass prototype filter.
type filterBank struct {
	up, down int         // rational factor: up-sample by up, then keep every down-th
	taps     int         // coefficients per phase
	phases   [][]float32 // phases[p][taps-1-t] = h[p + t·up] · up, reversed for dot
}

// dot returns the dot product of two slices of equal length.
func dot(h, x []float32) float32 {
	x = x[:len(h)]
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(h); i += 4 {
		a0 += h[i] * x[i]
		a1 += h[i+1] * x[i+1]
		a2 += h[i+2] * x[i+2]
		a3 += h[i+3] * x[i+3]
	}
	for ; i < len(h); i++ {
		a0 += h[i] * x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

var banks sync.Map // "from/to" → *filterBank

func bankFor(from, to int) *filterBank {
	key := fmt.Sprintf("%d/%d", from, to)
	if b, ok := banks.Load(key); ok {
		return b.(*filterBank)
	}
	b, _ := banks.LoadOrStore(key, designBank(from, to))
	return b.(*filterBank)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// designBank designs a Kaiser-windowed sinc low-pass at the upsampled rate from·up
// with its cutoff halfway through the transition band below the lower Nyquist
// frequency, and splits it into up phases.
func designBank(from, to int) *filterBank {
	g := gcd(from, to)
	up, down := to/g, from/g
	nyq := float64(min(from, to)) / 2
	transition := (1 - passBand) * nyq                // Hz
	cutoff := (passBand*nyq + nyq) / 2                // Hz, middle of the transition band
	beta := 0.1102 * (stopBandDB - 8.7)               // Kaiser's formula for A > 50 dB
	width := 2 * math.Pi * transition / float64(from) // rad per input sample
	taps := int(math.Ceil((stopBandDB-8)/(2.285*width))) | 1
	n := taps * up
	fu := float64(from) * float64(up) // upsampled rate
	fc := cutoff / fu                 // cycles per upsampled sample
	centre := float64(n-1) / 2
	i0b := besselI0(beta)
	b := &filterBank{up: up, down: down, taps: taps, phases: make([][]float32, up)}
	for p := range b.phases {
		b.phases[p] = make([]float32, taps)
	}
	for j := 0; j < n; j++ {
		x := float64(j) - centre
		h := 2 * fc * sinc(2*fc*x)
		r := 2*float64(j)/float64(n-1) - 1
		w := besselI0(beta*math.Sqrt(math.Max(0, 1-r*r))) / i0b
		b.phases[j%up][taps-1-j/up] = float32(h * w * float64(up))
	}
	return b
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-12 {
			break
		}
	}
	return sum
}
