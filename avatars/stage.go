package avatars

import (
	"image"
	"sync"
	"sync/atomic"

	"fayun/avatars/viseme"
)

// Eye sprite variants: openness levels times gaze directions.
var (
	eyeOpenLevels = [...]float64{1, 0.6, 0.25, 0}
	eyeGazes      = [...][2]float64{{0, 0}, {-0.75, -0.5}, {0.55, 0.1}}
)

const (
	numEyeSprites   = len(eyeOpenLevels) * len(eyeGazes)
	mouthSteps      = 4 // a blend from shape a to b is shown at 1/4, 2/4, 3/4, then b
	numMouthSprites = viseme.Count * viseme.Count * mouthSteps
)

// Gaze indexes into eyeGazes.
const (
	gazeAhead = iota
	gazeThink
	gazeOther
)

// stage is everything cached for one avatar at one output size. The static frame
// and the head region at each offset are I420; eye and mouth sprites are I420
// rectangles with per-row spans that stay inside the face, one set for each
// parity of the head offset (chroma is subsampled 2×2, so a sprite drawn for an
// even offset can be moved only by even amounts).
type stage struct {
	sc       *scene
	base     *planes
	headRect image.Rectangle // the region the head can cover at any offset
	eyeRect  image.Rectangle // at offset 0
	mouthRct image.Rectangle // at offset 0

	mu     sync.Mutex // held while rendering a missing entry
	heads  [offCols * offRows]atomic.Pointer[planes]
	eyes   [4][numEyeSprites]atomic.Pointer[planes]
	mouths [4][numMouthSprites]atomic.Pointer[planes]
	masks  map[maskKey][]span // guarded by mu
	bytes  atomic.Int64
}

// stage returns the cached stage for w×h, building its static frame on first use.
func (a *Avatar) stage(w, h int) *stage {
	key := image.Pt(w, h)
	a.mu.Lock()
	defer a.mu.Unlock()
	if st, ok := a.stages[key]; ok {
		return st
	}
	lay := newLayout(w, h, &a.look)
	sc := a.scene(lay)
	st := &stage{sc: sc}
	full := image.Rect(0, 0, w, h)
	im := sc.drawAll(full, pose{}, restEyes, mouthParams[viseme.Rest], !a.opts.NoNameplate)
	st.base = toPlanes(im, full)
	st.bytes.Add(int64(st.base.bytes()))

	l := &a.look
	cx, ey := lay.cx, lay.ey
	top := -150.0 - l.hairVolume
	bottom := max(l.faceLen+16, hairLength(l)+4)
	side := l.faceW + 42
	hr := lay.rect(cx-side, ey+top, cx+side, ey+bottom)
	st.headRect = image.Rect(hr.Min.X+offMinX*lay.step-2, hr.Min.Y+offMinY*lay.step-2,
		hr.Max.X+offMaxX*lay.step+2, hr.Max.Y+offMaxY*lay.step+2)
	st.headRect = evenRect(st.headRect).Intersect(full)

	ew := l.eyeGap + l.eyeW/2 + 9
	if l.glasses != 0 {
		ew += 6
	}
	ew = min(ew, l.faceW-3)
	st.eyeRect = lay.rect(cx-ew, ey-l.eyeH-13-l.browArch-l.browThick-4, cx+ew, ey+l.eyeH+7)
	my := mouthY(l)
	mw := l.mouthW/2*1.2 + 7
	st.mouthRct = lay.rect(cx-mw, ey+l.noseLen+4, cx+mw, ey+my+mouthOpenMax*0.75+l.lipLow*1.3+6)
	a.stages[key] = st
	return st
}

func evenRect(r image.Rectangle) image.Rectangle {
	return image.Rect(r.Min.X&^1, r.Min.Y&^1, (r.Max.X+1)&^1, (r.Max.Y+1)&^1)
}

func offsetIndex(p pose, step int) int {
	return (p.dy/step-offMinY)*offCols + (p.dx/step - offMinX)
}

// head returns the head region rendered at offset p (whole steps inside the
// offset bounds).
// TODO: a miss draws the region inline (tens of ms) and delays that frame. The
// calls package warms each avatar in the background when its idle stream starts,
// but a caller who asks at once can still hit a miss; falling back to the nearest
// cached offset while a worker draws would remove the stall.
func (st *stage) head(p pose) *planes {
	i := offsetIndex(p, st.sc.lay.step)
	if h := st.heads[i].Load(); h != nil {
		return h
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if h := st.heads[i].Load(); h != nil {
		return h
	}
	im := st.sc.drawAll(st.headRect, p, restEyes, mouthParams[viseme.Rest],
		!st.sc.a.opts.NoNameplate)
	h := toPlanes(im, st.headRect)
	st.bytes.Add(int64(h.bytes()))
	st.heads[i].Store(h)
	return h
}

func parity(p pose) int { return p.dx&1 | (p.dy&1)<<1 }

// sprite returns the sprite for region r drawn with eyes e and mouth m at the
// parity of p, from slot, rendering it on first use.
func (st *stage) sprite(slot *atomic.Pointer[planes], r image.Rectangle, p pose, e eyeState,
	m mouth) *planes {
	if s := slot.Load(); s != nil {
		return s
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if s := slot.Load(); s != nil {
		return s
	}
	pp := pose{p.dx & 1, p.dy & 1}
	rr := r.Add(image.Pt(pp.dx, pp.dy))
	im := st.sc.drawAll(rr, pp, e, m, !st.sc.a.opts.NoNameplate)
	s := toPlanes(im, rr)
	s.spans = st.mask(r, pp)
	st.bytes.Add(int64(s.bytes()))
	slot.Store(s)
	return s
}

// maskKey names the spans of one sprite region at one parity.
type maskKey struct {
	r image.Rectangle
	p pose
}

// mask returns the spans of region r (at offset 0) for the parity pose pp: the
// pixels that are the same whatever the head offset. st.mu must be held.
func (st *stage) mask(r image.Rectangle, pp pose) []span {
	k := maskKey{r, pp}
	if s, ok := st.masks[k]; ok {
		return s
	}
	nameplate := !st.sc.a.opts.NoNameplate
	at := func(d image.Point) *image.RGBA {
		q := pose{pp.dx + d.X, pp.dy + d.Y}
		return st.sc.drawAll(r.Add(image.Pt(q.dx, q.dy)), q, restEyes, mouthParams[viseme.Rest],
			nameplate)
	}
	step := st.sc.lay.step
	lo := image.Pt(offMinX*step&^1, offMinY*step&^1)
	hi := image.Pt((offMaxX*step+1)&^1, (offMaxY*step+1)&^1)
	rr := r.Add(image.Pt(pp.dx, pp.dy))
	face := st.sc.draw(rr, layerFace, pp, restEyes, mouthParams[viseme.Rest])
	s := attachedSpans(face, at(image.Point{}), at(lo), at(hi))
	if st.masks == nil {
		st.masks = map[maskKey][]span{}
	}
	st.masks[k] = s
	return s
}

func (st *stage) eyeSprite(p pose, open, gaze int) *planes {
	g := eyeGazes[gaze]
	e := eyeState{open: eyeOpenLevels[open], gx: g[0], gy: g[1]}
	return st.sprite(&st.eyes[parity(p)][open*len(eyeGazes)+gaze], st.eyeRect, p, e, mouth{})
}

// mouthSprite returns the mouth blended from a to b by k/mouthSteps (k = 0
// means b itself).
func (st *stage) mouthSprite(p pose, a, b viseme.Shape, k int) *planes {
	if k == 0 {
		a = b
	}
	i := (int(a)*viseme.Count+int(b))*mouthSteps + k
	var m mouth
	if k == 0 {
		m = mouthParams[b]
	} else {
		m = blendMouth(mouthParams[a], mouthParams[b], float64(k)/mouthSteps)
	}
	return st.sprite(&st.mouths[parity(p)][i], st.mouthRct, p, restEyes, m)
}

// blitAt places sprite s (rendered at the parity of p) for offset p.
func blitAt(dst *image.YCbCr, s *planes, p pose) {
	s.blit(dst, image.Pt(s.r.Min.X+(p.dx&^1), s.r.Min.Y+(p.dy&^1)))
}

// warm renders every head offset, eye sprite and un-blended mouth shape so that
// later frames only copy.
func (st *stage) warm() {
	step := st.sc.lay.step
	for dy := offMinY; dy <= offMaxY; dy++ {
		for dx := offMinX; dx <= offMaxX; dx++ {
			p := pose{dx * step, dy * step}
			st.head(p)
			for o := range eyeOpenLevels {
				for g := range eyeGazes {
					st.eyeSprite(p, o, g)
				}
			}
			for s := 0; s < viseme.Count; s++ {
				st.mouthSprite(p, viseme.Shape(s), viseme.Shape(s), 0)
			}
		}
	}
}
