// Package audio owns the PCM sample type shared by the speech engines and the media
// side, sample-rate conversion between the rates they use (48 kHz for WebRTC, 16 kHz
// for recognition, 22,050 Hz from eSpeak NG) and WAV file reading and writing.
package audio

import (
	"errors"
	"math"
	"time"
)

// Sample rates used across Fayun.
const (
	RateWebRTC = 48000 // Opus in WebRTC, and every PCM handed to the media side
	RateSTT    = 16000 // speech recognition and voice activity detection
	RateESpeak = 22050 // eSpeak NG's only output rate
)

// ErrEmpty is returned for audio with no samples where some were required.
var ErrEmpty = errors.New("audio: no samples")

// PCM is mono signed 16-bit audio at Rate samples per second.
type PCM struct {
	Rate    int
	Samples []int16
}

// Duration returns how long p plays.
func (p PCM) Duration() time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	return time.Duration(len(p.Samples)) * time.Second / time.Duration(p.Rate)
}

// SamplesFor returns how many samples at rate cover d, rounded down.
func SamplesFor(rate int, d time.Duration) int {
	return int(int64(rate) * int64(d) / int64(time.Second))
}

// Slice returns the part of p between offsets from and to, clamped to p's length.
func (p PCM) Slice(from, to time.Duration) PCM {
	a := min(max(SamplesFor(p.Rate, from), 0), len(p.Samples))
	b := min(max(SamplesFor(p.Rate, to), a), len(p.Samples))
	return PCM{Rate: p.Rate, Samples: p.Samples[a:b]}
}

// RMS returns the root mean square level of samples relative to full scale, in
// [0, 1]. It is 0 for no samples.
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		f := float64(s)
		sum += f * f
	}
	return math.Sqrt(sum/float64(len(samples))) / 32768
}

// DBFS converts a level in [0, 1] to decibels relative to full scale, floored at -100.
func DBFS(level float64) float64 {
	if level <= 1e-5 {
		return -100
	}
	return 20 * math.Log10(level)
}

// clip16 rounds f to the nearest int16, saturating.
func clip16(f float32) int16 {
	if f >= 32767 {
		return 32767
	}
	if f <= -32768 {
		return -32768
	}
	if f >= 0 {
		return int16(f + 0.5)
	}
	return int16(f - 0.5)
}

// RemoveDC returns a copy of samples with any constant offset removed by a one-pole
// high-pass filter (corner about 20 Hz at 16 kHz), started at the mean of the
// first 20 ms so the output has no initial step.
func RemoveDC(samples []int16) []int16 {
	out := make([]int16, len(samples))
	if len(samples) == 0 {
		return out
	}
	var mean float64
	head := samples[:min(len(samples), 320)]
	for _, s := range head {
		mean += float64(s)
	}
	mean /= float64(len(head))
	const pole = 0.992
	prevIn, prevOut := mean, 0.0
	for i, s := range samples {
		x := float64(s)
		y := x - prevIn + pole*prevOut
		prevIn, prevOut = x, y
		out[i] = clip16(float32(y))
	}
	return out
}
