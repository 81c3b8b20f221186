// Package testpattern draws synthetic video with realistic encoding cost for the media tests
// and benchmarks: a soft diagonal gradient, a slowly drifting textured disc (a stand-in for a
// head) and a small rectangle that moves fast (a stand-in for a mouth).
package testpattern

import (
	"image"
	"math"
	"time"
)

// Draw fills dst (I420) with the pattern at time t. It does not allocate.
func Draw(dst *image.YCbCr, t time.Duration) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	sec := t.Seconds()
	cx := float64(w)/2 + float64(w)/8*math.Sin(sec*0.9)
	cy := float64(h)/2 + float64(h)/12*math.Cos(sec*0.7)
	r := float64(h) / 3
	mx := int(cx) + int(float64(w)/10*math.Sin(sec*6))
	my := int(cy + r/2)
	mh := 4 + int(10*(1+math.Sin(sec*11)))
	for y := range h {
		row := dst.Y[y*dst.YStride : y*dst.YStride+w]
		dy := float64(y) - cy
		for x := range row {
			v := 40 + (x+y)*120/(w+h)
			dx := float64(x) - cx
			if dx*dx+dy*dy < r*r {
				v = 150 + int(30*math.Sin(float64(x)*0.3+sec)*math.Cos(float64(y)*0.2))
			}
			if x >= mx-20 && x < mx+20 && y >= my-mh/2 && y < my+mh/2 {
				v = 60
			}
			row[x] = uint8(v)
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ch {
		cb := dst.Cb[y*dst.CStride : y*dst.CStride+cw]
		cr := dst.Cr[y*dst.CStride : y*dst.CStride+cw]
		for x := range cb {
			cb[x] = uint8(110 + x*40/cw)
			cr[x] = uint8(140 - y*30/ch)
		}
	}
}

// Luma returns the mean absolute difference of the Y planes of a and b (same size), a simple
// measure of how close a decoded picture is to its source.
func Luma(a, b *image.YCbCr) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var sum int
	for y := range h {
		ra := a.Y[y*a.YStride : y*a.YStride+w]
		rb := b.Y[y*b.YStride : y*b.YStride+w]
		for x := range ra {
			d := int(ra[x]) - int(rb[x])
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	return float64(sum) / float64(w*h)
}
