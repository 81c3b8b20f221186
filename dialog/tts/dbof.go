package tts

import "math"

// dbOf converts a mean square of int16 samples to dBFS, floored at -100.
func dbOf(meanSquare float64) float64 {
	if meanSquare <= 0 {
		return -100
	}
	return math.Max(-100, 10*math.Log10(meanSquare/(32768*32768)))
}
