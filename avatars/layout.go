package avatars

import (
	"image"
	"math"
)

// layout places the design space (a frame 360 units high, the figure centred) on
// an output of w×h pixels: device = design·s + t. Wider outputs see more of the
// office on both sides; narrower ones are scaled to keep the shoulders in view.
type layout struct {
	w, h   int
	s      float64 // device pixels per design unit
	tx, ty float64
	cx, ey float64 // design position of the face centre line and the eye line
	step   int     // device pixels per head-offset unit
}

const designH = 360.0

func newLayout(w, h int, l *look) *layout {
	s := float64(h) / designH
	if float64(w) < float64(h)*1.0 {
		s = float64(w) / designH
	}
	lay := &layout{w: w, h: h, s: s, cx: 0, ey: 150}
	// The figure's centre line sits in the middle of the output and the design
	// frame's bottom at the output's bottom.
	lay.tx = float64(w) / 2
	lay.ty = float64(h) - designH*s
	lay.step = max(1, int(math.Round(s)))
	return lay
}

// zoom enlarges the figure around the face by z, for thumbnails.
func (lay *layout) zoom(z float64) {
	fx, fy := lay.cx, lay.ey+10
	dx, dy := lay.dev(fx, fy)
	lay.s *= z
	// Keep the face point where it was, then centre it vertically a little lower.
	lay.tx = dx - fx*lay.s
	lay.ty = dy - fy*lay.s + float64(lay.h)*0.1
}

// dev maps a design point to device pixels (without pose).
func (lay *layout) dev(x, y float64) (float64, float64) {
	return x*lay.s + lay.tx, y*lay.s + lay.ty
}

// designX returns the design-space x range visible in the output.
func (lay *layout) designX() (x0, x1 float64) {
	return -lay.tx / lay.s, (float64(lay.w) - lay.tx) / lay.s
}

// rect converts a design rectangle to a device rectangle grown to even
// coordinates (I420 chroma alignment) and clipped to the output.
func (lay *layout) rect(x0, y0, x1, y1 float64) image.Rectangle {
	ax, ay := lay.dev(x0, y0)
	bx, by := lay.dev(x1, y1)
	r := image.Rect(int(math.Floor(ax))&^1, int(math.Floor(ay))&^1,
		(int(math.Ceil(bx))+1)&^1, (int(math.Ceil(by))+1)&^1)
	return r.Intersect(image.Rect(0, 0, lay.w, lay.h))
}

// pose is a whole-pixel displacement of the head, in device pixels.
type pose struct{ dx, dy int }

// Head offsets are whole multiples of lay.step within these bounds (in steps).
const (
	offMinX, offMaxX = -2, 2
	offMinY, offMaxY = -2, 3
	offCols          = offMaxX - offMinX + 1
	offRows          = offMaxY - offMinY + 1
)
