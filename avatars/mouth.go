package avatars

import (
	"fayun/avatars/viseme"

	"github.com/fogleman/gg"
)

// mouth describes a mouth pose; shapes are blended by interpolating fields.
type mouth struct {
	open   float64 // gap between the lips, 0..1 (1 = widest, mouthOpenMax units)
	width  float64 // relative to the rest width
	round  float64 // 0 flat corners .. 1 round opening
	smile  float64 // corners up
	press  float64 // lips pressed thin (m, b, p)
	teethU float64 // upper teeth shown, 0..1
	teethL float64 // lower teeth shown, 0..1
	tongue float64 // tongue tip raised behind the upper teeth (l, th)
	tuck   float64 // lower lip tucked under the upper teeth (f, v)
	pout   float64 // lips pushed forward: fuller (u, o)
}

const mouthOpenMax = 14.0

// mouthParams holds the pose of each viseme.Shape, indexed by shape.
var mouthParams = [viseme.Count]mouth{
	viseme.Rest: {width: 1, smile: 0.12},
	viseme.MBP:  {width: 0.96, press: 1},
	viseme.AA:   {open: 1, width: 1.02, round: 0.35, teethU: 0.7, teethL: 0.25},
	viseme.EE:   {open: 0.48, width: 1.12, teethU: 1, teethL: 0.55, smile: 0.15},
	viseme.IH:   {open: 0.3, width: 1.16, teethU: 1, teethL: 0.9, smile: 0.45},
	viseme.OH:   {open: 0.78, width: 0.76, round: 1, teethU: 0.25, pout: 0.5},
	viseme.UW:   {open: 0.32, width: 0.6, round: 1, pout: 1},
	viseme.FV:   {open: 0.2, width: 1.0, teethU: 1, tuck: 1},
	viseme.LTH:  {open: 0.5, width: 1.0, round: 0.2, teethU: 0.85, teethL: 0.3, tongue: 1},
	viseme.SZ:   {open: 0.24, width: 1.08, teethU: 1, teethL: 1, smile: 0.2},
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

// blendMouth interpolates two poses.
func blendMouth(a, b mouth, t float64) mouth {
	return mouth{
		open: lerp(a.open, b.open, t), width: lerp(a.width, b.width, t),
		round: lerp(a.round, b.round, t), smile: lerp(a.smile, b.smile, t),
		press: lerp(a.press, b.press, t), teethU: lerp(a.teethU, b.teethU, t),
		teethL: lerp(a.teethL, b.teethL, t), tongue: lerp(a.tongue, b.tongue, t),
		tuck: lerp(a.tuck, b.tuck, t), pout: lerp(a.pout, b.pout, t),
	}
}

// mouthY is the design y (face coordinates) of the line between the lips.
func mouthY(l *look) float64 { return l.noseLen + (l.faceLen-l.noseLen)*0.4 }

// drawMouth paints lips, and inside an open mouth the teeth and tongue.
func (sc *scene) drawMouth(dc *gg.Context, m mouth) {
	l := sc.l
	my := mouthY(l)
	hw := l.mouthW / 2 * m.width
	gap := m.open * mouthOpenMax
	upT := l.lipUp * (1 - 0.35*m.press + 0.3*m.pout)
	loT := l.lipLow * (1 - 0.35*m.press + 0.25*m.pout - 0.35*m.tuck)
	cornerY := my - m.smile*3 + m.open*1.5
	// Inner edges of the opening: the jaw drops more than the upper lip rises.
	inTop := my - gap*0.3
	inBot := my + gap*0.7 - m.tuck*2.5
	rc := 0.28 + 0.5*m.round // how far inward the control points sit: rounder = fuller

	// Soft shadow below the lower lip.
	dc.DrawEllipse(0, inBot+loT+3, hw*0.55, 3.5)
	dc.SetFillStyle(radial(dc, 0, inBot+loT+3, hw*0.6, 0.0, rgbA{l.skinShade, 0.45}, 1.0,
		rgbA{l.skinShade, 0}))
	dc.Fill()

	opening := func() {
		dc.MoveTo(-hw, cornerY)
		dc.CubicTo(-hw*rc, inTop-gap*0.2*m.round, hw*rc, inTop-gap*0.2*m.round, hw, cornerY)
		dc.CubicTo(hw*rc, inBot+gap*0.15*m.round, -hw*rc, inBot+gap*0.15*m.round, -hw, cornerY)
		dc.ClosePath()
	}
	if gap > 0.6 {
		opening()
		setRGB(dc, hex(0x3b1618), 1)
		dc.FillPreserve()
		dc.Push()
		dc.Clip()
		// Tongue resting low, or raised for l/th.
		tw := hw * 0.75
		ty := inBot - gap*0.15 + (1-m.tongue)*0
		dc.DrawEllipse(0, ty, tw, gap*0.45+1)
		setRGB(dc, hex(0xa8464c), 1)
		dc.Fill()
		if m.tongue > 0.05 {
			dc.DrawEllipse(0, inTop+gap*0.4, hw*0.36, gap*0.42*m.tongue+0.5)
			setRGB(dc, hex(0xc45a5f), m.tongue)
			dc.Fill()
		}
		th := 4.2
		if m.teethU > 0.02 {
			dc.DrawRoundedRectangle(-hw*0.72, inTop-2, hw*1.44, 2+th*m.teethU, 1.5)
			setRGB(dc, hex(0xf4f1ea), 1)
			dc.Fill()
			dc.MoveTo(0, inTop)
			dc.LineTo(0, inTop+th*m.teethU)
			setRGB(dc, hex(0xcfc8bd), 0.6)
			dc.SetLineWidth(0.6)
			dc.Stroke()
		}
		if m.teethL > 0.02 {
			dc.DrawRoundedRectangle(-hw*0.62, inBot-th*0.85*m.teethL, hw*1.24, th*m.teethL+2, 1.5)
			setRGB(dc, hex(0xe9e4da), 1)
			dc.Fill()
		}
		// Shadow at the corners for depth.
		for _, s := range []float64{-1, 1} {
			dc.DrawEllipse(s*hw*0.9, cornerY, hw*0.28, gap)
			setRGB(dc, hex(0x200a0c), 0.45)
			dc.Fill()
		}
		dc.ResetClip()
		dc.Pop()
	}

	lip := l.lip
	// Upper lip: outer contour with a cupid's bow, inner edge along the opening.
	dc.MoveTo(-hw-1, cornerY)
	dc.CubicTo(-hw*0.7, cornerY-upT*0.5, -hw*0.35, inTop-upT-0.6, -hw*0.16, inTop-upT)
	dc.QuadraticTo(-hw*0.05, inTop-upT-0.2, 0, inTop-upT*0.72)
	dc.QuadraticTo(hw*0.05, inTop-upT-0.2, hw*0.16, inTop-upT)
	dc.CubicTo(hw*0.35, inTop-upT-0.6, hw*0.7, cornerY-upT*0.5, hw+1, cornerY)
	dc.CubicTo(hw*rc, inTop-gap*0.2*m.round+0.4, -hw*rc, inTop-gap*0.2*m.round+0.4, -hw-1, cornerY)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, 0, inTop-upT, 0, inTop, 0.0, lip.scale(0.92), 1.0, lip.scale(0.78)))
	dc.Fill()

	// Lower lip: fuller, with a highlight.
	dc.MoveTo(-hw-1, cornerY)
	dc.CubicTo(-hw*rc, inBot+gap*0.15*m.round-0.4, hw*rc, inBot+gap*0.15*m.round-0.4, hw+1, cornerY)
	dc.CubicTo(hw*0.8, cornerY+loT*0.7, hw*0.45, inBot+loT+0.8, 0, inBot+loT+0.8)
	dc.CubicTo(-hw*0.45, inBot+loT+0.8, -hw*0.8, cornerY+loT*0.7, -hw-1, cornerY)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, 0, inBot, 0, inBot+loT, 0.0, lip.scale(0.9), 0.45, lip, 1.0,
		lip.scale(0.84)))
	dc.Fill()
	dc.DrawEllipse(hw*0.12, inBot+loT*0.42, hw*0.32, loT*0.2)
	setRGB(dc, hex(0xffffff), 0.16)
	dc.Fill()

	if m.tuck > 0.05 {
		// Upper teeth resting on the tucked lower lip.
		dc.DrawRoundedRectangle(-hw*0.55, inTop-0.5, hw*1.1, 3.4*m.tuck, 1)
		setRGB(dc, hex(0xf4f1ea), m.tuck)
		dc.Fill()
	}

	// The line between closed lips and darker corners.
	if gap <= 0.6 {
		dc.MoveTo(-hw, cornerY)
		dc.CubicTo(-hw*0.4, my+0.6, hw*0.4, my+0.6, hw, cornerY)
		setRGB(dc, lip.scale(0.45), 0.85)
		dc.SetLineWidth(1.1 + 0.4*m.press)
		dc.Stroke()
	}
	for _, s := range []float64{-1, 1} {
		dc.DrawCircle(s*(hw+0.5), cornerY, 1.3)
		setRGB(dc, l.skinShade.scale(0.7), 0.45)
		dc.Fill()
	}
}
