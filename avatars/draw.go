package avatars

import (
	"image"
	"image/color"
	"math"

	"github.com/fogleman/gg"
)

// scene draws one avatar at one layout. Its drawing is deterministic: the same
// look, layout, pose and features give the same pixels.
type scene struct {
	a   *Avatar
	l   *look
	lay *layout
}

func (a *Avatar) scene(lay *layout) *scene { return &scene{a: a, l: &a.look, lay: lay} }

// eyeState is how open the eyes are (1 open, 0 closed) and where they look
// (gx, gy in -1..1, positive right and down).
type eyeState struct{ open, gx, gy float64 }

var restEyes = eyeState{open: 1}

// layers selects what drawAll paints.
type layers uint8

const (
	layerBackground layers = 1 << iota
	layerBody
	layerBackHair
	layerFace // the head in front of the body: face, features, front hair
	layerNameplate
	layerAll = layerBackground | layerBody | layerBackHair | layerFace | layerNameplate
)

// drawAll paints the part r of the output picture and returns it as an image
// whose origin is r.Min (its bounds start at 0,0, as gg requires).
func (sc *scene) drawAll(r image.Rectangle, p pose, e eyeState, m mouth, nameplate bool) *image.RGBA {
	ls := layerAll
	if !nameplate {
		ls &^= layerNameplate
	}
	return sc.draw(r, ls, p, e, m)
}

// drawPad is drawn around every region and then cut away: the rasteriser
// treats shapes that cross a canvas edge slightly differently from shapes inside
// it, and cached parts must match a full drawing exactly.
const drawPad = 8

func (sc *scene) draw(r image.Rectangle, ls layers, p pose, e eyeState, m mouth) *image.RGBA {
	im := sc.drawPadded(r.Inset(-drawPad), ls, p, e, m)
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], im.Pix[im.PixOffset(drawPad, y+drawPad):])
	}
	return out
}

func (sc *scene) drawPadded(r image.Rectangle, ls layers, p pose, e eyeState, m mouth) *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	dc := gg.NewContextForRGBA(im)
	org := r.Min
	lay := sc.lay
	if ls&layerBackground != 0 {
		dc.Push()
		dc.Translate(lay.tx-float64(org.X), lay.ty-float64(org.Y))
		dc.Scale(lay.s, lay.s)
		sc.background(dc)
		dc.Pop()
	}
	head := func(fn func(*gg.Context)) {
		dc.Push()
		dc.Translate(lay.tx-float64(org.X)+float64(p.dx), lay.ty-float64(org.Y)+float64(p.dy))
		dc.Scale(lay.s, lay.s)
		dc.Translate(lay.cx, lay.ey)
		fn(dc)
		dc.Pop()
	}
	if ls&layerBackHair != 0 {
		head(sc.backHair)
	}
	if ls&layerBody != 0 {
		dc.Push()
		dc.Translate(lay.tx-float64(org.X), lay.ty-float64(org.Y))
		dc.Scale(lay.s, lay.s)
		dc.Translate(lay.cx, lay.ey)
		sc.body(dc)
		dc.Pop()
	}
	if ls&layerFace != 0 {
		head(func(dc *gg.Context) { sc.head(dc, e, m) })
	}
	if ls&layerNameplate != 0 {
		sc.nameplate(dc, org)
	}
	return im
}

// pt is a design-space point.
type pt struct{ x, y float64 }

// smooth adds a Catmull-Rom spline through pts to the current path as cubic
// Béziers. For an open curve the path starts at pts[0] unless cont is set, in
// which case it continues from the current point with a line to pts[0].
func smooth(dc *gg.Context, pts []pt, closed, cont bool) {
	n := len(pts)
	if n < 2 {
		return
	}
	if cont {
		dc.LineTo(pts[0].x, pts[0].y)
	} else {
		dc.MoveTo(pts[0].x, pts[0].y)
	}
	get := func(i int) pt {
		if closed {
			return pts[(i+n)%n]
		}
		return pts[max(0, min(n-1, i))]
	}
	segs := n - 1
	if closed {
		segs = n
	}
	for i := 0; i < segs; i++ {
		p0, p1, p2, p3 := get(i-1), get(i), get(i+1), get(i+2)
		dc.CubicTo(p1.x+(p2.x-p0.x)/6, p1.y+(p2.y-p0.y)/6,
			p2.x-(p3.x-p1.x)/6, p2.y-(p3.y-p1.y)/6, p2.x, p2.y)
	}
	if closed {
		dc.ClosePath()
	}
}

// mirror returns pts followed by their mirror images (x → −x) in reverse order,
// which closes a symmetric outline given its left half from top to bottom.
func mirror(pts []pt) []pt {
	out := append([]pt(nil), pts...)
	for i := len(pts) - 1; i >= 0; i-- {
		if pts[i].x == 0 {
			continue
		}
		out = append(out, pt{-pts[i].x, pts[i].y})
	}
	return out
}

// linear and radial build gradients in design coordinates of the current
// transform (gg evaluates patterns in device pixels).
func linear(dc *gg.Context, x0, y0, x1, y1 float64, stops ...any) gg.Gradient {
	ax, ay := dc.TransformPoint(x0, y0)
	bx, by := dc.TransformPoint(x1, y1)
	g := gg.NewLinearGradient(ax, ay, bx, by)
	addStops(g, stops)
	return g
}

func radial(dc *gg.Context, x, y, r float64, stops ...any) gg.Gradient {
	cx, cy := dc.TransformPoint(x, y)
	ex, _ := dc.TransformPoint(x+r, y)
	g := gg.NewRadialGradient(cx, cy, 0, cx, cy, math.Abs(ex-cx))
	addStops(g, stops)
	return g
}

// addStops reads pairs (offset float64, colour rgb) or triples with an alpha
// written as rgbA.
// gg extrapolates wrongly before the first stop, so a stop at 0 is always added.
func addStops(g gg.Gradient, stops []any) {
	for i := 0; i+1 < len(stops); i += 2 {
		off := stops[i].(float64)
		var c color.NRGBA
		switch v := stops[i+1].(type) {
		case rgb:
			c = v.opaque()
		case rgbA:
			c = v.c.rgba(v.a)
		}
		if i == 0 && off > 0 {
			g.AddColorStop(0, c)
		}
		g.AddColorStop(off, c)
	}
}

// rgbA is a colour with alpha, for gradient stops.
type rgbA struct {
	c rgb
	a float64
}

func setRGB(dc *gg.Context, c rgb, alpha float64) { dc.SetColor(c.rgba(alpha)) }

// background paints the soft office: a lit wall, a window with blinds, a
// bookshelf and a plant, all low in contrast so the face stays the subject.
func (sc *scene) background(dc *gg.Context) {
	l, lay := sc.l, sc.lay
	x0, x1 := lay.designX()
	x0, x1 = x0-2, x1+2
	cx := lay.cx

	dc.DrawRectangle(x0, -2, x1-x0, designH+4)
	dc.SetFillStyle(linear(dc, 0, 0, 0, designH, 0.0, l.wall, 1.0, l.wall2))
	dc.Fill()

	// A broad, soft pool of light behind the head.
	dc.DrawRectangle(x0, -2, x1-x0, designH+4)
	dc.SetFillStyle(radial(dc, cx+20, 120, 260, 0.0, rgbA{hex(0xffffff), 0.45},
		0.6, rgbA{hex(0xffffff), 0.12}, 1.0, rgbA{hex(0xffffff), 0}))
	dc.Fill()

	side := 1.0
	if l.seed&1 == 0 {
		side = -1
	}
	if l.window {
		wx := cx + side*150 - 75
		sc.window(dc, wx, 30, 150, 190)
		if x1-x0 > 520 { // wide frames get a second window on the other side
			sc.window(dc, cx-side*260-75, 30, 150, 190)
		}
	}
	if l.books {
		bx := cx - side*215 - 60
		if !l.window {
			bx = cx + side*150 - 60
		}
		sc.bookshelf(dc, bx, 40, 120, 230)
		if x1-x0 > 520 {
			sc.bookshelf(dc, cx+side*330-60, 40, 120, 230)
		}
	}
	if l.plant {
		sc.plant(dc, cx-side*145, 262)
	}

	// Dado rail and a darker lower wall give the room depth.
	dc.DrawRectangle(x0, 268, x1-x0, designH-268+2)
	setRGB(dc, l.floorTone, 0.55)
	dc.Fill()
	dc.DrawRectangle(x0, 266, x1-x0, 3)
	setRGB(dc, l.floorTone.scale(0.85), 0.5)
	dc.Fill()

	// Vignette towards the edges.
	dc.DrawRectangle(x0, -2, x1-x0, designH+4)
	dc.SetFillStyle(radial(dc, cx, 150, math.Max(300, (x1-x0)*0.62),
		0.55, rgbA{hex(0x202428), 0}, 1.0, rgbA{hex(0x202428), 0.28}))
	dc.Fill()
}

func (sc *scene) window(dc *gg.Context, x, y, w, h float64) {
	l := sc.l
	sky := hex(0xdde9f2).mix(l.wall, 0.25)
	dc.DrawRoundedRectangle(x-5, y-5, w+10, h+10, 3)
	setRGB(dc, l.wall2.scale(0.93), 1)
	dc.Fill()
	dc.DrawRectangle(x, y, w, h)
	dc.SetFillStyle(linear(dc, x, y, x+w, y+h, 0.0, sky.mix(hex(0xffffff), 0.5), 1.0, sky))
	dc.Fill()
	// Blinds: soft horizontal slats.
	for yy := y + 6; yy < y+h-2; yy += 9 {
		dc.DrawRectangle(x, yy, w, 3.2)
		setRGB(dc, l.wall2.mix(hex(0xffffff), 0.35), 0.55)
		dc.Fill()
	}
	dc.DrawRectangle(x+w/2-1.5, y, 3, h)
	setRGB(dc, l.wall2.scale(0.95), 0.8)
	dc.Fill()
}

func (sc *scene) bookshelf(dc *gg.Context, x, y, w, h float64) {
	l := sc.l
	wood := l.shelf.mix(l.wall, 0.45)
	dc.DrawRectangle(x, y, w, h)
	setRGB(dc, wood.scale(0.9), 1)
	dc.Fill()
	r := rng{s: l.seed ^ 0xb00c}
	spines := []rgb{hex(0x7d3b35), hex(0x36506b), hex(0x8a7a5a), hex(0x4e6650), hex(0xb7a98c),
		hex(0x5b4a63), hex(0x9c6b3c)}
	for row := 0; row < 4; row++ {
		sy := y + 8 + float64(row)*56
		dc.DrawRectangle(x+5, sy, w-10, 48)
		setRGB(dc, wood.scale(0.62), 1)
		dc.Fill()
		bx := x + 7
		for bx < x+w-12 {
			bw := r.f(5, 10)
			bh := r.f(32, 46)
			c := spines[r.n(len(spines))].mix(l.wall, 0.5)
			dc.DrawRectangle(bx, sy+48-bh, bw, bh)
			setRGB(dc, c, 1)
			dc.Fill()
			bx += bw + r.f(0.5, 1.5)
			if r.n(9) == 0 {
				bx += r.f(6, 14)
			}
		}
		dc.DrawRectangle(x, sy+48, w, 5)
		setRGB(dc, wood, 1)
		dc.Fill()
	}
}

func (sc *scene) plant(dc *gg.Context, x, y float64) {
	l := sc.l
	r := rng{s: l.seed ^ 0x91a7}
	leaf := hex(0x5f8a5a).mix(l.wall, 0.35)
	for i := 0; i < 14; i++ {
		a := -math.Pi/2 + r.f(-1.2, 1.2)
		ln := r.f(40, 75)
		ex, ey := x+math.Cos(a)*ln, y-30+math.Sin(a)*ln
		dc.Push()
		dc.Translate((x+ex)/2, (y-30+ey)/2)
		dc.Rotate(a)
		dc.DrawEllipse(0, 0, ln/2, r.f(5, 8))
		dc.Pop()
		setRGB(dc, leaf.scale(r.f(0.8, 1.1)), 0.9)
		dc.Fill()
	}
	dc.MoveTo(x-18, y-30)
	dc.LineTo(x+18, y-30)
	dc.LineTo(x+14, y+8)
	dc.LineTo(x-14, y+8)
	dc.ClosePath()
	setRGB(dc, hex(0xd8d2c8).mix(l.wall, 0.3), 1)
	dc.Fill()
}

// body paints neck, shoulders and clothes, in face coordinates (origin at the
// centre of the eye line).
func (sc *scene) body(dc *gg.Context) {
	l := sc.l
	nw := l.neckW
	top := l.faceLen - 30
	base := l.faceLen + 32 // where the neck meets the collar
	bottom := designH - sc.lay.ey + 4
	sw := l.shoulderW

	// Neck, shaded darker under the jaw.
	dc.MoveTo(-nw, top)
	dc.LineTo(nw, top)
	dc.CubicTo(nw, base-20, nw+2, base-6, nw+10, base+6)
	dc.LineTo(-nw-10, base+6)
	dc.CubicTo(-nw-2, base-6, -nw, base-20, -nw, top)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, 0, top, 0, base, 0.0, l.skinShade.scale(0.82), 0.45,
		l.skinShade, 1.0, l.skin.mix(l.skinShade, 0.3)))
	dc.Fill()

	// Shoulders: the torso silhouette.
	shoulderY := base + 12
	torso := func() {
		dc.MoveTo(-nw-6, base-2)
		dc.CubicTo(-nw-30, shoulderY-4, -sw+30, shoulderY, -sw+8, shoulderY+14)
		dc.CubicTo(-sw-8, shoulderY+24, -sw-14, shoulderY+60, -sw-18, bottom)
		dc.LineTo(sw+18, bottom)
		dc.CubicTo(sw+14, shoulderY+60, sw+8, shoulderY+24, sw-8, shoulderY+14)
		dc.CubicTo(sw-30, shoulderY, nw+30, shoulderY-4, nw+6, base-2)
		dc.ClosePath()
	}

	if l.female {
		sc.femaleAttire(dc, torso, base, bottom)
	} else {
		sc.maleAttire(dc, torso, base, bottom)
	}
}

func (sc *scene) jacketFill(dc *gg.Context, bottom float64) {
	l := sc.l
	dc.SetFillStyle(linear(dc, -l.shoulderW, 0, l.shoulderW, 0,
		0.0, l.jacket.scale(0.8), 0.35, l.jacket.mix(hex(0xffffff), 0.06), 0.65, l.jacket,
		1.0, l.jacket.scale(0.72)))
}

func (sc *scene) maleAttire(dc *gg.Context, torso func(), base, bottom float64) {
	l := sc.l
	nw := l.neckW
	torso()
	sc.jacketFill(dc, bottom)
	dc.Fill()

	// Shirt front: a V between the lapels.
	vBottom := base + 78
	dc.MoveTo(-nw-4, base-4)
	dc.LineTo(nw+4, base-4)
	dc.LineTo(30, base+30)
	dc.LineTo(0, vBottom)
	dc.LineTo(-30, base+30)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, 0, base, 0, vBottom, 0.0, l.shirt.scale(0.93), 1.0, l.shirt))
	dc.Fill()

	if l.attire != attireSuitOpenCollar {
		sc.tie(dc, base, vBottom+8)
	} else {
		// Open collar: a glimpse of skin at the throat.
		dc.MoveTo(-9, base-4)
		dc.LineTo(9, base-4)
		dc.LineTo(0, base+16)
		dc.ClosePath()
		setRGB(dc, l.skinShade, 1)
		dc.Fill()
	}

	// Shirt collar points.
	for _, s := range []float64{-1, 1} {
		dc.MoveTo(s*(nw+5), base-10)
		dc.LineTo(s*2, base+4)
		dc.LineTo(s*(nw-2), base+20)
		dc.LineTo(s*(nw+12), base+4)
		dc.ClosePath()
		setRGB(dc, l.shirt.mix(hex(0xffffff), 0.3), 1)
		dc.FillPreserve()
		setRGB(dc, l.shirt.scale(0.78), 1)
		dc.SetLineWidth(0.8)
		dc.Stroke()
	}
	sc.lapels(dc, base, vBottom, 30)
}

// lapels draws the jacket lapels converging at vBottom; open is the half width
// of the opening at the collar.
func (sc *scene) lapels(dc *gg.Context, base, vBottom, open float64) {
	l := sc.l
	nw := l.neckW
	for _, s := range []float64{-1, 1} {
		dc.MoveTo(s*(nw+6), base-6)
		dc.LineTo(s*(nw+18), base+2)
		dc.LineTo(s*(open+22), base+34) // notch
		dc.LineTo(s*(open+12), base+38)
		dc.LineTo(s*(open+26), base+48)
		dc.LineTo(s*4, vBottom+2)
		dc.LineTo(s*(open-2), base+30)
		dc.ClosePath()
		setRGB(dc, l.jacket.mix(hex(0xffffff), 0.05).scale(1.04), 1)
		dc.FillPreserve()
		setRGB(dc, l.jacket.scale(0.6), 0.9)
		dc.SetLineWidth(1)
		dc.Stroke()
	}
	if l.pin {
		// The lawyer's badge: a small red-and-gold enamel pin on the left lapel.
		px, py := -(open + 30), base+58
		dc.DrawCircle(px, py, 4.2)
		setRGB(dc, hex(0xc9a44a), 1)
		dc.Fill()
		dc.DrawCircle(px, py, 3)
		setRGB(dc, hex(0xb3262e), 1)
		dc.Fill()
		dc.DrawCircle(px-1, py-1, 0.9)
		setRGB(dc, hex(0xffe9a8), 1)
		dc.Fill()
	}
}

func (sc *scene) tie(dc *gg.Context, base, end float64) {
	l := sc.l
	// Knot then blade.
	dc.MoveTo(-8, base+1)
	dc.LineTo(8, base+1)
	dc.LineTo(5, base+14)
	dc.LineTo(-5, base+14)
	dc.ClosePath()
	setRGB(dc, l.tie.scale(0.9), 1)
	dc.Fill()
	dc.MoveTo(-5, base+14)
	dc.LineTo(5, base+14)
	dc.LineTo(11, end-10)
	dc.LineTo(0, end)
	dc.LineTo(-11, end-10)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, -10, 0, 10, 0, 0.0, l.tie.scale(0.85), 0.5, l.tie, 1.0,
		l.tie.scale(0.8)))
	dc.FillPreserve()
	switch l.attire {
	case attireSuitStripeTie:
		dc.Push()
		dc.Clip()
		dc.SetLineWidth(2.2)
		setRGB(dc, l.tie2, 0.8)
		for y := base + 6; y < end+20; y += 9 {
			dc.MoveTo(-14, y)
			dc.LineTo(14, y+12)
		}
		dc.Stroke()
		dc.ResetClip()
		dc.Pop()
	case attireSuitDotTie:
		dc.Push()
		dc.Clip()
		setRGB(dc, l.tie2, 0.85)
		for y := base + 8; y < end; y += 7 {
			for x := -12.0; x <= 12; x += 7 {
				off := 0.0
				if int((y-base)/7)%2 == 1 {
					off = 3.5
				}
				dc.DrawCircle(x+off, y, 1.1)
			}
		}
		dc.Fill()
		dc.ResetClip()
		dc.Pop()
	default:
		dc.ClearPath()
	}
}

func (sc *scene) femaleAttire(dc *gg.Context, torso func(), base, bottom float64) {
	l := sc.l
	nw := l.neckW
	// Blouse under everything.
	torso()
	dc.SetFillStyle(linear(dc, 0, base, 0, bottom, 0.0, l.shirt, 1.0, l.shirt.scale(0.9)))
	dc.Fill()
	// Neckline: a soft scoop showing skin.
	depth := 26.0
	if l.attire == attireBlazerShirt {
		depth = 18
	}
	dc.MoveTo(-nw-7, base-4)
	dc.CubicTo(-nw, base+depth*0.8, nw, base+depth*0.8, nw+7, base-4)
	dc.ClosePath()
	setRGB(dc, l.skin.mix(l.skinShade, 0.4), 1)
	dc.Fill()

	if l.attire == attireCardiganBlouse {
		// A soft cardigan: rounded edges, no lapels.
		for _, s := range []float64{-1, 1} {
			dc.MoveTo(s*(nw+8), base-3)
			dc.CubicTo(s*(nw+40), base+8, s*(l.shoulderW-10), base+12, s*(l.shoulderW+18), bottom)
			dc.LineTo(s*26, bottom)
			dc.CubicTo(s*30, base+80, s*(nw+20), base+30, s*(nw+8), base-3)
			dc.ClosePath()
			sc.jacketFill(dc, bottom)
			dc.Fill()
		}
		sc.necklace(dc, base+depth*0.6)
		return
	}

	// Blazer body with a lower V.
	vBottom := base + 98
	dc.Push()
	torso()
	dc.MoveTo(-nw-4, base-4)
	dc.LineTo(-24, base+40)
	dc.LineTo(0, vBottom)
	dc.LineTo(24, base+40)
	dc.LineTo(nw+4, base-4)
	dc.ClosePath()
	dc.SetFillRule(gg.FillRuleEvenOdd)
	sc.jacketFill(dc, bottom)
	dc.Fill()
	dc.SetFillRule(gg.FillRuleWinding)
	dc.Pop()

	switch l.attire {
	case attireBlazerShirt:
		for _, s := range []float64{-1, 1} {
			dc.MoveTo(s*(nw+6), base-10)
			dc.LineTo(s*3, base+10)
			dc.LineTo(s*(nw+2), base+22)
			dc.LineTo(s*(nw+14), base+2)
			dc.ClosePath()
			setRGB(dc, l.shirt.mix(hex(0xffffff), 0.3), 1)
			dc.FillPreserve()
			setRGB(dc, l.shirt.scale(0.8), 1)
			dc.SetLineWidth(0.8)
			dc.Stroke()
		}
	case attireBlazerScarf:
		sc.scarf(dc, base)
	default:
		sc.necklace(dc, base+depth*0.6)
	}
	sc.lapels(dc, base, vBottom, 22)
}

func (sc *scene) necklace(dc *gg.Context, y float64) {
	l := sc.l
	if l.seed>>7&1 == 0 {
		return
	}
	dc.MoveTo(-l.neckW-4, y-8)
	dc.QuadraticTo(0, y+14, l.neckW+4, y-8)
	setRGB(dc, hex(0xd9c9a3), 0.9)
	dc.SetLineWidth(1.1)
	dc.Stroke()
	dc.DrawCircle(0, y-1, 2.4)
	setRGB(dc, hex(0xf2efe9), 1)
	dc.Fill()
}

func (sc *scene) scarf(dc *gg.Context, base float64) {
	l := sc.l
	nw := l.neckW
	c := l.accent
	dc.MoveTo(-nw-10, base-8)
	dc.CubicTo(-nw+4, base+14, nw-4, base+14, nw+10, base-8)
	dc.LineTo(nw+12, base+2)
	dc.CubicTo(nw, base+26, -nw, base+26, -nw-12, base+2)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, -nw, 0, nw, 0, 0.0, c.scale(0.8), 0.5, c, 1.0, c.scale(0.78)))
	dc.Fill()
	// The knot and a falling end.
	dc.DrawEllipse(-8, base+18, 9, 7)
	setRGB(dc, c.scale(0.9), 1)
	dc.Fill()
	dc.MoveTo(-14, base+20)
	dc.CubicTo(-20, base+40, -12, base+60, -18, base+78)
	dc.LineTo(-2, base+74)
	dc.CubicTo(-4, base+56, -2, base+36, -2, base+22)
	dc.ClosePath()
	dc.SetFillStyle(linear(dc, -18, 0, -2, 0, 0.0, c.scale(0.75), 1.0, c.scale(0.95)))
	dc.Fill()
	// A pattern of light dots.
	setRGB(dc, c.mix(hex(0xffffff), 0.6), 0.6)
	for i := 0; i < 6; i++ {
		dc.DrawCircle(-nw+6+float64(i)*8.5, base+6+math.Sin(float64(i))*2, 1.1)
	}
	dc.Fill()
}
