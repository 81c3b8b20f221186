package avatars

import (
	"math"

	"github.com/fogleman/gg"
)

// The head is drawn in face coordinates: origin between the eyes, design units.

// faceOutline adds the face silhouette (forehead to chin) to the path.
func (sc *scene) faceOutline(dc *gg.Context) {
	l := sc.l
	fw, fl := l.faceW, l.faceLen
	pts := mirror([]pt{
		{0, -104},
		{-fw * 0.74, -92},
		{-fw, -48},
		{-fw * l.cheek, 4},
		{-fw * (0.93 + 0.05*l.jaw), 30},
		{-fw * l.jaw, fl * 0.78},
		{-fw*l.chin - 5, fl - 4},
		{0, fl},
	})
	smooth(dc, pts, true, false)
}

func (sc *scene) head(dc *gg.Context, e eyeState, m mouth) {
	l := sc.l
	fw, fl := l.faceW, l.faceLen

	// Shadow cast by the jaw on the neck.
	dc.DrawEllipse(0, fl-6, fw*0.62, 16)
	dc.SetFillStyle(radial(dc, 0, fl-6, fw*0.62, 0.0, rgbA{l.skinShade.scale(0.7), 0.55},
		1.0, rgbA{l.skinShade, 0}))
	dc.Fill()

	sc.ears(dc)

	sc.faceOutline(dc)
	dc.SetFillStyle(radial(dc, -6, -8, fw*1.35, 0.0, l.skinLight.mix(l.skin, 0.4), 0.55, l.skin,
		0.85, l.skin.mix(l.skinShade, 0.45), 1.0, l.skinShade))
	dc.Fill()

	// Cheeks and a warm tone on the nose tip.
	for _, s := range []float64{-1, 1} {
		dc.DrawEllipse(s*fw*0.55, 30, 15, 10)
		dc.SetFillStyle(radial(dc, s*fw*0.55, 30, 16, 0.0, rgbA{l.blush, 0.28}, 1.0, rgbA{l.blush, 0}))
		dc.Fill()
	}

	sc.brows(dc)
	sc.eyes(dc, e)
	sc.nose(dc)
	sc.drawMouth(dc, m)
	sc.frontHair(dc)
	sc.glasses(dc)
	sc.earrings(dc)
}

func (sc *scene) ears(dc *gg.Context) {
	l := sc.l
	for _, s := range []float64{-1, 1} {
		x := s * (l.faceW - 1)
		dc.DrawEllipse(x, 6, 8.5, 16)
		dc.SetFillStyle(radial(dc, x-s*2, 6, 16, 0.0, l.skin, 1.0, l.skinShade))
		dc.Fill()
		dc.MoveTo(x+s*4, -6)
		dc.QuadraticTo(x+s*7, 6, x+s*2, 17)
		setRGB(dc, l.skinShade.scale(0.85), 0.7)
		dc.SetLineWidth(1.4)
		dc.Stroke()
	}
}

func (sc *scene) brows(dc *gg.Context) {
	l := sc.l
	by := -l.eyeH - 13
	for _, s := range []float64{-1, 1} {
		ix := s * (l.eyeGap - l.browW*0.45) // inner end
		ox := s * (l.eyeGap + l.browW*0.55) // outer end
		mx := s * (l.eyeGap + l.browW*0.12)
		t := l.browThick
		oy := by + l.browTilt
		dc.MoveTo(ix, by+t*0.5)
		dc.QuadraticTo(ix, by-t*0.6, ix+s*3, by-t*0.55)
		dc.QuadraticTo(mx, by-l.browArch-t*0.7, ox, oy+1)
		dc.QuadraticTo(mx, by-l.browArch+t*0.35, ix, by+t*0.5)
		dc.ClosePath()
		dc.SetFillStyle(linear(dc, ix, 0, ox, 0, 0.0, rgbA{l.brow, 0.72}, 0.4, rgbA{l.brow, 0.95},
			1.0, rgbA{l.brow, 0.7}))
		dc.Fill()
	}
}

func (sc *scene) eyes(dc *gg.Context, e eyeState) {
	for _, s := range []float64{-1, 1} {
		sc.eye(dc, s*sc.l.eyeGap, 0, s, e)
	}
}

// eye draws one eye centred at (x, y); s is −1 for the eye on the viewer's left.
func (sc *scene) eye(dc *gg.Context, x, y, s float64, e eyeState) {
	l := sc.l
	w, h := l.eyeW, l.eyeH
	open := math.Max(0, math.Min(1, e.open))
	inX, inY := x-s*w/2, y+1
	outX, outY := x+s*w/2, y-l.eyeTilt
	topY := -h*1.28*open + h*0.3*(1-open)
	botY := h*0.6*open + h*0.3*(1-open)
	lx := func(t float64) float64 { return inX + (outX-inX)*t }
	almond := func() {
		dc.MoveTo(inX, inY)
		dc.CubicTo(lx(0.22), y+topY, lx(0.72), y+topY*1.02, outX, outY)
		dc.CubicTo(lx(0.7), y+botY, lx(0.28), y+botY, inX, inY)
		dc.ClosePath()
	}

	// Soft socket shadow above the eye.
	dc.DrawEllipse(x, y-h*0.55, w*0.62, h*0.95)
	dc.SetFillStyle(radial(dc, x, y-h*0.55, w*0.62, 0.0, rgbA{l.skinShade, 0.22}, 1.0,
		rgbA{l.skinShade, 0}))
	dc.Fill()

	if open > 0.12 {
		dc.Push()
		almond()
		dc.SetFillStyle(linear(dc, 0, y-h, 0, y+h, 0.0, hex(0xd9d2cc), 0.45, hex(0xf6f3ef),
			1.0, hex(0xeae4de)))
		dc.FillPreserve()
		dc.Clip()
		ir := h * 0.74
		ix := x + e.gx*w*0.24
		iy := y - h*0.05 + e.gy*h*0.3
		dc.DrawCircle(ix, iy, ir)
		dc.SetFillStyle(radial(dc, ix, iy, ir, 0.0, l.iris.mix(hex(0x8a6040), 0.35), 0.7, l.iris,
			1.0, l.iris.scale(0.55)))
		dc.Fill()
		dc.DrawCircle(ix, iy, ir*0.44)
		setRGB(dc, hex(0x0d0a0a), 1)
		dc.Fill()
		dc.DrawCircle(ix+ir*0.32, iy-ir*0.36, ir*0.24)
		setRGB(dc, hex(0xffffff), 0.95)
		dc.Fill()
		dc.DrawCircle(ix-ir*0.3, iy+ir*0.3, ir*0.1)
		setRGB(dc, hex(0xffffff), 0.5)
		dc.Fill()
		// Shadow of the upper lid on the eyeball.
		dc.DrawRectangle(x-w, y+topY*0.9-h, 2*w, h*1.05)
		dc.SetFillStyle(linear(dc, 0, y+topY*0.75, 0, y+topY*0.75+h*0.9,
			0.0, rgbA{hex(0x3a2a25), 0.35}, 1.0, rgbA{hex(0x3a2a25), 0}))
		dc.Fill()
		dc.ResetClip()
		dc.Pop()
	}

	// Upper lash line, heavier towards the outer corner.
	lash := hex(0x1e1614)
	dc.MoveTo(inX, inY)
	dc.CubicTo(lx(0.22), y+topY, lx(0.72), y+topY*1.02, outX, outY)
	setRGB(dc, lash, 0.85)
	dc.SetLineWidth(1.5)
	if l.female {
		dc.SetLineWidth(2.2)
	}
	dc.Stroke()
	if l.female {
		dc.MoveTo(lx(0.55), y+topY*0.98)
		dc.CubicTo(lx(0.8), y+topY*0.9, outX-s*1, outY, outX+s*2.2, outY-1.6)
		dc.SetLineWidth(2.2)
		dc.Stroke()
	}

	// Lower lid, faint.
	if open > 0.12 {
		dc.MoveTo(outX-s*1.5, outY+1)
		dc.CubicTo(lx(0.7), y+botY+0.6, lx(0.28), y+botY+0.6, inX+s*2, inY+0.5)
		setRGB(dc, l.skinShade.scale(0.8), 0.55)
		dc.SetLineWidth(0.9)
		dc.Stroke()
	}

	// Crease above the lid.
	if l.crease {
		cy := y + math.Min(topY, -h*0.6) - 3.2
		dc.MoveTo(lx(0.15), cy+2.5)
		dc.CubicTo(lx(0.35), cy-1.5, lx(0.7), cy-1.2, lx(0.95), cy+1.6)
		setRGB(dc, l.skinShade.scale(0.8), 0.55)
		dc.SetLineWidth(1)
		dc.Stroke()
	}
}

func (sc *scene) nose(dc *gg.Context) {
	l := sc.l
	nl, nw := l.noseLen, l.noseW
	side := 1.0
	if l.seed>>3&1 == 0 {
		side = -1
	}
	// Bridge: a soft shade on one side.
	dc.MoveTo(side*5, 2)
	dc.CubicTo(side*7, nl*0.4, side*(nw*0.7), nl*0.7, side*nw*0.75, nl-7)
	setRGB(dc, l.skinShade, 0.2)
	dc.SetLineWidth(2.6)
	dc.Stroke()
	// Tip highlight.
	dc.DrawEllipse(0, nl-6, nw*0.5, 4.5)
	dc.SetFillStyle(radial(dc, 0, nl-7, nw*0.55, 0.0, rgbA{l.skinLight, 0.6}, 1.0,
		rgbA{l.skinLight, 0}))
	dc.Fill()
	// Shadow under the nose.
	dc.DrawEllipse(0, nl+2.5, nw*0.8, 3.2)
	dc.SetFillStyle(radial(dc, 0, nl+2.5, nw*0.8, 0.0, rgbA{l.skinShade.scale(0.8), 0.4}, 1.0,
		rgbA{l.skinShade, 0}))
	dc.Fill()
	// Alae and nostrils.
	for _, s := range []float64{-1, 1} {
		dc.MoveTo(s*nw*0.35, nl+0.5)
		dc.CubicTo(s*nw*0.9, nl+1.5, s*nw*1.05, nl-4, s*nw*0.78, nl-7)
		setRGB(dc, l.skinShade.scale(0.75), 0.7)
		dc.SetLineWidth(1.3)
		dc.Stroke()
		dc.DrawEllipse(s*nw*0.42, nl-0.5, 2.4, 1.3)
		setRGB(dc, hex(0x4a2a24), 0.55)
		dc.Fill()
	}
}

func (sc *scene) glasses(dc *gg.Context) {
	l := sc.l
	if l.glasses == 0 {
		return
	}
	c := l.glassesColor
	lw := 1.3
	switch l.glasses {
	case 2:
		lw = 2.8
	case 4:
		lw = 1.1
	}
	w, h := l.eyeW+13, l.eyeH*2+7
	for _, s := range []float64{-1, 1} {
		x := s * l.eyeGap
		y := 1.5
		lens := func() {
			if l.glasses == 3 {
				dc.DrawEllipse(x, y, w/2, h*0.56)
			} else {
				dc.DrawRoundedRectangle(x-w/2, y-h/2, w, h, h*0.32)
			}
		}
		lens()
		setRGB(dc, hex(0xe8f0f6), 0.1)
		dc.Fill()
		// A diagonal reflection across the lens.
		dc.Push()
		lens()
		dc.Clip()
		dc.MoveTo(x-w*0.1, y-h)
		dc.LineTo(x+w*0.25, y-h)
		dc.LineTo(x-w*0.15, y+h)
		dc.LineTo(x-w*0.4, y+h)
		dc.ClosePath()
		setRGB(dc, hex(0xffffff), 0.13)
		dc.Fill()
		dc.ResetClip()
		dc.Pop()
		if l.glasses == 4 {
			dc.MoveTo(x-w/2, y-h*0.15)
			dc.LineTo(x-w/2, y-h/2+3)
			dc.QuadraticTo(x-w/2, y-h/2, x-w/2+3, y-h/2)
			dc.LineTo(x+w/2-3, y-h/2)
			dc.QuadraticTo(x+w/2, y-h/2, x+w/2, y-h/2+3)
			dc.LineTo(x+w/2, y-h*0.15)
			setRGB(dc, c, 1)
			dc.SetLineWidth(2.6)
			dc.Stroke()
			lens()
			setRGB(dc, c, 0.35)
			dc.SetLineWidth(0.8)
			dc.Stroke()
		} else {
			lens()
			setRGB(dc, c, 0.95)
			dc.SetLineWidth(lw)
			dc.Stroke()
		}
		// Temple arm towards the ear.
		dc.MoveTo(x+s*w/2, y-h*0.3)
		dc.LineTo(s*(l.faceW-1), y-h*0.2)
		setRGB(dc, c, 0.9)
		dc.SetLineWidth(math.Max(1.2, lw*0.7))
		dc.Stroke()
	}
	// Bridge.
	bx := l.eyeGap - w/2
	dc.MoveTo(-bx, -1)
	dc.QuadraticTo(0, -5, bx, -1)
	setRGB(dc, c, 0.95)
	dc.SetLineWidth(math.Max(1.2, lw*0.8))
	dc.Stroke()
}

func (sc *scene) earrings(dc *gg.Context) {
	l := sc.l
	if !l.earrings || !earsVisible(l) {
		return
	}
	for _, s := range []float64{-1, 1} {
		x := s * (l.faceW + 0.5)
		dc.DrawCircle(x, 22, 2.6)
		dc.SetFillStyle(radial(dc, x-0.8, 21.2, 2.8, 0.0, hex(0xffffff), 1.0, hex(0xcfc6bb)))
		dc.Fill()
	}
}

func earsVisible(l *look) bool {
	if !l.female {
		return true
	}
	switch l.hairStyle {
	case hairBun, hairPixie, hairLowTail:
		return true
	}
	return false
}
