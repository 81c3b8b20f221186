package avatars

import (
	"math"

	"github.com/fogleman/gg"
)

// hairLength is the lowest point (face coordinates) of the hair that falls
// behind and beside the face, or 0 for short styles.
func hairLength(l *look) float64 {
	if !l.female {
		return 0
	}
	switch l.hairStyle {
	case hairBob:
		return l.faceLen - 6
	case hairShoulder:
		return l.faceLen + 42
	case hairLong:
		return l.faceLen + 88
	}
	return 0
}

// backHair paints the hair mass behind the head and neck.
func (sc *scene) backHair(dc *gg.Context) {
	l := sc.l
	fw, v := l.faceW, l.hairVolume
	L := hairLength(l)
	switch {
	case L > 0:
		wb := fw + 17
		if l.hairStyle == hairLong {
			wb = fw + 26
		}
		pts := mirror([]pt{
			{0, -108 - v},
			{-fw * 0.8, -98 - v*0.8},
			{-fw - 16, -52},
			{-fw - 18, 10},
			{-wb, L - 16},
			{-wb + 8, L},
			{0, L - 4},
		})
		smooth(dc, pts, true, false)
		sc.hairFill(dc, -110, L)
		dc.Fill()
	case l.female && l.hairStyle == hairBun:
		dc.DrawCircle(l.partSide*8, -108-v, 23)
		sc.hairFill(dc, -135, -85)
		dc.Fill()
	case l.female && l.hairStyle == hairLowTail:
		dc.DrawEllipse(0, l.faceLen+6, 20, 30)
		sc.hairFill(dc, l.faceLen-20, l.faceLen+40)
		dc.Fill()
	}
}

func (sc *scene) hairFill(dc *gg.Context, y0, y1 float64) {
	l := sc.l
	dc.SetFillStyle(linear(dc, 0, y0, 0, y1, 0.0, l.hair.mix(l.hairLight, 0.5), 0.35, l.hair,
		1.0, l.hairShade))
}

// frontHair paints the hair that frames the face.
func (sc *scene) frontHair(dc *gg.Context) {
	l := sc.l
	if l.female {
		sc.femaleFront(dc)
	} else {
		sc.maleFront(dc)
	}
}

// cap draws a close hair cap: outer silhouette over the skull and an inner
// hairline given from the right temple to the left temple.
func (sc *scene) cap(dc *gg.Context, top, side, sideburn float64, hairline []pt) {
	l := sc.l
	fw := l.faceW
	outer := []pt{
		{-fw + 1.5, sideburn},
		{-fw - side*0.6, -30},
		{-fw - side, -62},
		{-fw * 0.72, -96 - top*0.75},
		{0, -106 - top},
		{fw * 0.72, -96 - top*0.75},
		{fw + side, -62},
		{fw + side*0.6, -30},
		{fw - 1.5, sideburn},
	}
	inner := append([]pt{{fw - 6, sideburn}, {fw - 7.5, -30}}, hairline...)
	inner = append(inner, pt{-fw + 7.5, -30}, pt{-fw + 6, sideburn})
	smooth(dc, outer, false, false)
	smooth(dc, inner, false, true)
	dc.ClosePath()
}

func (sc *scene) maleFront(dc *gg.Context) {
	l := sc.l
	fw, v, ps := l.faceW, l.hairVolume, l.partSide
	hl := l.hairline
	var hairline []pt
	top, side, sideburn := v, 6.0, -6.0
	switch l.hairStyle {
	case hairSidePart:
		hairline = []pt{{ps * fw * 0.55, -56 - hl*0.4}, {0, -60 - hl*0.5},
			{-ps * fw * 0.4, -68 - hl*0.5}, {-ps * fw * 0.7, -58 - hl*0.4}}
		if ps < 0 {
			hairline = []pt{{fw * 0.7, -58 - hl*0.4}, {fw * 0.4, -68 - hl*0.5},
				{0, -60 - hl*0.5}, {-fw * 0.55, -56 - hl*0.4}}
		}
	case hairCrew:
		top, side = v*0.45, 4
		hairline = []pt{{fw * 0.6, -62 - hl*0.3}, {0, -64 - hl*0.3}, {-fw * 0.6, -62 - hl*0.3}}
	case hairSweptBack:
		top = v + 4
		hairline = []pt{{fw * 0.62, -70 - hl*0.5}, {fw * 0.3, -68 - hl*0.5}, {0, -70 - hl*0.5},
			{-fw * 0.3, -68 - hl*0.5}, {-fw * 0.62, -70 - hl*0.5}}
	case hairReceding:
		top, side = v*0.35, 7
		hairline = []pt{{fw * 0.72, -66}, {fw * 0.52, -82}, {fw * 0.25, -86 - hl*0.5},
			{0, -85 - hl*0.5}, {-fw * 0.25, -86 - hl*0.5}, {-fw * 0.52, -82}, {-fw * 0.72, -66}}
	default: // textured top
		top = v + 7
		hairline = []pt{{fw * 0.62, -60 - hl*0.3}, {fw * 0.2, -56 - hl*0.3}, {-fw * 0.1, -60 - hl*0.3},
			{-fw * 0.62, -62 - hl*0.3}}
	}
	sc.cap(dc, top, side, sideburn, hairline)
	sc.hairFill(dc, -110-top, -20)
	dc.FillPreserve()
	sc.strands(dc, -106-top, -50, ps, l.hairStyle == hairSweptBack || l.hairStyle == hairTexturedTop)
	if l.hairStyle == hairSidePart {
		x := -ps * fw * 0.4
		dc.MoveTo(x, -68-hl*0.5)
		dc.QuadraticTo(x*0.92, -88-top*0.5, x*0.75, -100-top*0.8)
		setRGB(dc, l.hairShade.scale(0.7), 0.6)
		dc.SetLineWidth(1.3)
		dc.Stroke()
	}
}

// strands clips to the current path and draws light and dark strokes that
// give the hair direction. vertical strokes run front-to-back; otherwise they
// sweep away from the part side ps.
func (sc *scene) strands(dc *gg.Context, y0, y1, ps float64, vertical bool) {
	l := sc.l
	dc.Push()
	dc.Clip()
	r := rng{s: l.seed ^ 0x57a4}
	fw := l.faceW + 18
	for i := 0; i < 34; i++ {
		x := r.f(-fw, fw)
		y := r.f(y0, y1)
		ln := r.f(18, 40)
		c, a := l.hairLight, r.f(0.12, 0.28)
		if i%2 == 1 {
			c, a = l.hairShade.scale(0.8), r.f(0.2, 0.35)
		}
		dc.MoveTo(x, y)
		if vertical {
			dc.QuadraticTo(x+r.f(-4, 4), y+ln*0.5, x+r.f(-6, 6)+x*0.12, y+ln)
		} else {
			dx := -ps * ln
			dc.QuadraticTo(x+dx*0.5, y-r.f(2, 6), x+dx, y+r.f(4, 12))
		}
		setRGB(dc, c, a)
		dc.SetLineWidth(r.f(0.8, 1.8))
		dc.Stroke()
	}
	dc.ResetClip()
	dc.Pop()
}

func (sc *scene) femaleFront(dc *gg.Context) {
	l := sc.l
	fw, v, ps := l.faceW, l.hairVolume, l.partSide
	hl := l.hairline
	// A side-swept fringe: the hairline dips from the part across the forehead.
	fringe := []pt{{fw * 0.6, -42 - hl*0.3}, {fw * 0.2, -56 - hl*0.4}, {-fw * 0.25, -70 - hl*0.4},
		{-fw * 0.55, -62 - hl*0.3}}
	if ps < 0 {
		for i := range fringe {
			fringe[i].x = -fringe[i].x
		}
		for i, j := 0, len(fringe)-1; i < j; i, j = i+1, j-1 {
			fringe[i], fringe[j] = fringe[j], fringe[i]
		}
	}
	partX := -ps * fw * 0.3

	L := hairLength(l)
	if L == 0 {
		// Close styles: bun, pixie, low tail.
		top := v * 0.7
		hairline := []pt{{fw * 0.6, -64 - hl*0.3}, {0, -70 - hl*0.3}, {-fw * 0.6, -64 - hl*0.3}}
		if l.hairStyle == hairPixie {
			top = v + 4
			hairline = fringe
		}
		sc.cap(dc, top, 7, -10, hairline)
		sc.hairFill(dc, -110-top, -20)
		dc.FillPreserve()
		sc.strands(dc, -106-top, -50, ps, l.hairStyle != hairPixie)
		return
	}

	// Curtains: outer silhouette down to the length, inner edge along the face.
	wb := fw + 15
	if l.hairStyle == hairLong {
		wb = fw + 24
	}
	below := L > l.faceLen
	inner := func(s float64) []pt {
		pts := []pt{{s * (fw - 5), -30}, {s * (fw - 3), 12}, {s * (fw*0.92 - 2), 40}}
		if below {
			pts = append(pts, pt{s * (l.neckW + 6), l.faceLen + 6}, pt{s * (l.neckW + 14), L - 12})
		} else {
			pts = append(pts, pt{s * (fw * 0.86), L - 8})
		}
		return pts
	}
	outer := []pt{
		{-wb + 4, L},
		{-wb, L - 18},
		{-fw - 17, 10},
		{-fw - 15, -52},
		{-fw * 0.78, -98 - v*0.8},
		{0, -108 - v},
		{fw * 0.78, -98 - v*0.8},
		{fw + 15, -52},
		{fw + 17, 10},
		{wb, L - 18},
		{wb - 4, L},
	}
	smooth(dc, outer, false, false)
	right := inner(1)
	for i, j := 0, len(right)-1; i < j; i, j = i+1, j-1 {
		right[i], right[j] = right[j], right[i]
	}
	in := append(right, fringe...)
	in = append(in, inner(-1)...)
	smooth(dc, in, false, true)
	dc.ClosePath()
	sc.hairFill(dc, -110-v, L)
	dc.FillPreserve()
	sc.strands(dc, -100-v, L-20, ps, true)

	// The part line.
	dc.MoveTo(partX, -64-hl*0.4)
	dc.QuadraticTo(partX*0.9, -90-v*0.5, partX*0.7, -104-v)
	setRGB(dc, l.hairShade.scale(0.7), 0.5)
	dc.SetLineWidth(1.2)
	dc.Stroke()
	_ = math.Pi
}
