package avatars

import (
	"image/color"
	"math"
)

// rgb is a colour with components in 0..1, convenient for mixing.
type rgb struct{ r, g, b float64 }

func hex(v uint32) rgb {
	return rgb{float64(v>>16&255) / 255, float64(v>>8&255) / 255, float64(v&255) / 255}
}

func (c rgb) mix(d rgb, t float64) rgb {
	return rgb{c.r + (d.r-c.r)*t, c.g + (d.g-c.g)*t, c.b + (d.b-c.b)*t}
}

func (c rgb) scale(k float64) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func (c rgb) rgba(alpha float64) color.NRGBA {
	cl := func(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }
	return color.NRGBA{cl(c.r), cl(c.g), cl(c.b), cl(alpha)}
}

func (c rgb) opaque() color.NRGBA { return c.rgba(1) }

// rng is splitmix64: small, fast and the same on every platform.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// f returns a float in [lo, hi).
func (r *rng) f(lo, hi float64) float64 {
	return lo + (hi-lo)*float64(r.next()>>11)/float64(1<<53)
}

// n returns an int in [0, k).
func (r *rng) n(k int) int { return int(r.next() % uint64(k)) }

// hash mixes a few integers into one well-spread value.
func hash(vs ...uint64) uint64 {
	r := rng{s: 0x5fa1}
	for _, v := range vs {
		r.s ^= v
		r.next()
	}
	return r.next()
}

// Hair styles. Male and female styles share the numbering space of their gender.
const (
	hairSidePart = iota
	hairCrew
	hairSweptBack
	hairReceding
	hairTexturedTop
	numMaleHair
)

const (
	hairBob = iota
	hairLong
	hairBun
	hairPixie
	hairShoulder
	hairLowTail
	numFemaleHair
)

// Attire variants.
const (
	attireSuitTie = iota
	attireSuitStripeTie
	attireSuitDotTie
	attireSuitOpenCollar
	numMaleAttire
)

const (
	attireBlazerBlouse = iota
	attireBlazerScarf
	attireBlazerShirt
	attireCardiganBlouse
	numFemaleAttire
)

// look is every appearance decision for one persona, in design units (a frame
// 360 units high; see layout).
type look struct {
	seed   uint64
	female bool

	skin, skinShade, skinLight, blush rgb

	faceW, faceLen, jaw, chin, cheek float64

	hairStyle                      int
	hair, hairShade, hairLight     rgb
	hairVolume, hairline, partSide float64
	grey                           float64

	brow                                 rgb
	browThick, browArch, browTilt, browW float64

	eyeW, eyeH, eyeGap, eyeTilt float64
	iris                        rgb
	crease                      bool

	glasses      int // 0 none, 1 thin metal, 2 dark frame, 3 round, 4 half rim
	glassesColor rgb

	noseW, noseLen float64

	mouthW, lipUp, lipLow float64
	lip                   rgb

	attire                           int
	jacket, shirt, tie, tie2, accent rgb
	pin, earrings                    bool
	shoulderW, neckW                 float64

	wall, wall2, shelf, floorTone rgb
	window, plant, books          bool
	bgVariant                     int
}

var (
	skinTones = []uint32{0xf4d9c6, 0xf0cfb4, 0xe8c19f, 0xe1b592, 0xd6a582, 0xcc9873, 0xf2d3c4, 0xe9c4a6}

	blackHair = []uint32{0x1c1a1b, 0x242021, 0x2d2520, 0x3a2b22, 0x4a3426, 0x20191a}
	femDyed   = []uint32{0x4f3226, 0x5c3a2a, 0x3d2a22, 0x63402e}
	greyHair  = []uint32{0x6d6966, 0x85817d, 0xa09c98, 0xbdb9b5}

	irisTones = []uint32{0x3b2618, 0x4a2f1c, 0x2f1f15, 0x563822, 0x3f2a1e}

	maleJackets = []uint32{0x1f2a44, 0x2b2f36, 0x23252a, 0x3a4150, 0x283a52, 0x3b3530, 0x4a4f57, 0x1c2230}
	femJackets  = []uint32{0x1f2a44, 0x2b2f36, 0x6b2d3a, 0x3f4d63, 0x8c8580, 0x2e4a48, 0xb9a48e, 0x45334f, 0x23252a}
	shirts      = []uint32{0xf7f7f5, 0xf2f5fa, 0xdfe8f3, 0xf5efe6, 0xe9eef0}
	blouses     = []uint32{0xf7f4ef, 0xf3e4e1, 0xe4ebf2, 0xf6efe1, 0xefe9f2, 0xffffff}
	ties        = []uint32{0x7a1f2b, 0x1f3c6e, 0x3c4a2c, 0x5b2a4a, 0x8a6a2a, 0x24456a, 0x6e2424, 0x3a3f47}
	scarves     = []uint32{0xb23a48, 0x2f6690, 0xc98f3c, 0x6a4c93, 0x2e7d6b, 0xd06a4e}
	lipsticks   = []uint32{0xc0646c, 0xb8555e, 0xc97062, 0xa84f5c, 0xc77d78}

	walls = []struct{ a, b, shelf, floor uint32 }{
		{0xe9e4dc, 0xd8d0c4, 0x8a6d52, 0xbfb2a2},
		{0xdfe5ea, 0xc9d3dc, 0x6f6a66, 0xaab6c0},
		{0xe6e7e0, 0xd2d6ca, 0x7c6a55, 0xb7bba9},
		{0xeee6df, 0xdccfc3, 0x6e5240, 0xc4b1a2},
		{0xe1e3e8, 0xcdd0d8, 0x5a5e6a, 0xb0b3bd},
		{0xe8e2d6, 0xd5cbb8, 0x94704a, 0xc2b59e},
	}
)

func deriveLook(p Persona, female bool) look {
	r := rng{s: hash(uint64(p.ID), 0xfa1)}
	l := look{seed: r.next(), female: female}

	l.skin = hex(skinTones[r.n(len(skinTones))]).mix(hex(0xe6bfa0), r.f(0, 0.25))
	l.skinShade = l.skin.mix(hex(0x9a5a44), 0.32)
	l.skinLight = l.skin.mix(hex(0xfff4ec), 0.35)
	l.blush = l.skin.mix(hex(0xe08a80), 0.5)

	l.faceW = r.f(55, 63)
	l.faceLen = r.f(70, 80)
	l.jaw = r.f(0.68, 0.86)
	l.chin = r.f(0.22, 0.36)
	l.cheek = r.f(0.96, 1.04)
	if female {
		l.faceW -= 3
		l.jaw -= 0.05
		l.chin -= 0.04
	}

	l.grey = r.f(-0.8, 0.9)
	if p.YearsPractice > 0 {
		l.grey = float64(p.YearsPractice-16)/14 + r.f(-0.35, 0.25)
	}
	l.grey = math.Max(0, math.Min(1, l.grey))
	base := hex(blackHair[r.n(len(blackHair))])
	if female && r.n(3) == 0 {
		base = hex(femDyed[r.n(len(femDyed))])
	}
	if l.grey > 0.55 {
		g := hex(greyHair[r.n(len(greyHair))])
		base = base.mix(g, math.Min(1, (l.grey-0.55)*2.5+0.45))
	}
	l.hair = base
	l.hairShade = base.scale(0.62)
	l.hairLight = base.mix(hex(0xd8d2cc), 0.22)
	l.hairVolume = r.f(6, 15)
	l.hairline = r.f(0, 10)
	l.partSide = 1
	if r.n(2) == 0 {
		l.partSide = -1
	}
	if female {
		l.hairStyle = r.n(numFemaleHair)
	} else {
		l.hairStyle = r.n(numMaleHair)
		if l.hairStyle == hairReceding && l.grey < 0.3 && r.n(2) == 0 {
			l.hairStyle = hairSidePart
		}
	}

	l.brow = l.hair.mix(hex(0x2a211c), 0.45)
	if l.grey > 0.7 {
		l.brow = l.hair.mix(hex(0x3a332e), 0.5)
	}
	l.browThick = r.f(3.2, 5.2)
	l.browArch = r.f(1, 5)
	l.browTilt = r.f(-2.5, 2.5)
	l.browW = r.f(25, 31)
	if female {
		l.browThick -= 0.9
		l.browArch += 1.5
	}

	l.eyeW = r.f(21, 25)
	l.eyeH = r.f(8, 10.5)
	l.eyeGap = r.f(22.5, 26)
	l.eyeTilt = r.f(-1, 2.2)
	l.iris = hex(irisTones[r.n(len(irisTones))])
	l.crease = r.n(3) != 0

	if r.n(100) < 42 {
		l.glasses = 1 + r.n(4)
		l.glassesColor = []rgb{hex(0x6b6e74), hex(0x2a2422), hex(0x8a6a3a), hex(0x3b3f4a)}[r.n(4)]
	}

	l.noseW = r.f(8.5, 11.5)
	l.noseLen = r.f(33, 40)
	if female {
		l.noseW -= 1
	}

	l.mouthW = r.f(34, 41)
	l.lipUp = r.f(3.6, 5.2)
	l.lipLow = r.f(5, 7)
	l.lip = l.skin.mix(hex(0xb05a5a), 0.42)
	if female {
		l.lip = l.skin.mix(hex(lipsticks[r.n(len(lipsticks))]), r.f(0.55, 0.8))
		l.lipUp += 0.5
		l.lipLow += 0.5
		l.earrings = r.n(2) == 0
	}

	if female {
		l.attire = r.n(numFemaleAttire)
		l.jacket = hex(femJackets[r.n(len(femJackets))])
		l.shirt = hex(blouses[r.n(len(blouses))])
		l.accent = hex(scarves[r.n(len(scarves))])
		l.shoulderW = r.f(132, 146)
		l.neckW = r.f(21, 24)
	} else {
		l.attire = r.n(numMaleAttire)
		l.jacket = hex(maleJackets[r.n(len(maleJackets))])
		l.shirt = hex(shirts[r.n(len(shirts))])
		l.shoulderW = r.f(148, 162)
		l.neckW = r.f(25, 29)
	}
	l.tie = hex(ties[r.n(len(ties))])
	l.tie2 = l.tie.mix(hex(0xe8e0d0), r.f(0.35, 0.6))
	l.pin = r.n(5) < 2

	w := walls[r.n(len(walls))]
	l.wall, l.wall2, l.shelf, l.floorTone = hex(w.a), hex(w.b), hex(w.shelf), hex(w.floor)
	l.bgVariant = r.n(4)
	l.window = l.bgVariant != 1
	l.books = l.bgVariant != 2
	l.plant = r.n(2) == 0
	return l
}
