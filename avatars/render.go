package avatars

import (
	"fmt"
	"image"
	"math"
	"time"

	"fayun/avatars/viseme"
)

// State is what the avatar is doing in a call.
type State uint8

// The call states the renderer can show.
const (
	Idle      State = iota // nobody is talking to the avatar: the seamless idle loop
	Listening              // the user is speaking: attentive, small nods
	Thinking               // an answer is being prepared: eyes glance aside
	Speaking               // the avatar talks: lips follow the viseme timeline
)

var stateNames = [...]string{"idle", "listening", "thinking", "speaking"}

// String returns the lowercase name of s.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Timing of the animation.
const (
	// IdleLoopPeriod is the length of the seamless idle loop; in the Idle state
	// every frame at t equals the frame at t+IdleLoopPeriod.
	IdleLoopPeriod = 6 * time.Second
	// BlendTime is how long the mouth takes to move from one shape to the next.
	BlendTime = 50 * time.Millisecond
	// maxHold ends a shape held this long with no following cue (a timeline that
	// stops without a closing Rest) by returning to Rest.
	maxHold    = 900 * time.Millisecond
	blinkSlot  = 4 * time.Second
	blinkLen   = 170 * time.Millisecond
	frameDelta = time.Second / FPS
)

// Renderer draws the frames of one video stream of an avatar. It is not safe for
// concurrent use; make one per stream. Several renderers of the same avatar
// share its cached stage.
type Renderer struct {
	a      *Avatar
	st     *stage
	w, h   int
	speech viseme.Timeline
	start  time.Duration
	last   pose
	begun  bool
}

// NewRenderer returns a renderer of w×h frames (even sides, 32 to 1920). The
// static layers for that size are drawn now if no other renderer made them.
func (a *Avatar) NewRenderer(w, h int) (*Renderer, error) {
	if err := checkVideoSize(w, h); err != nil {
		return nil, fmt.Errorf("avatars: renderer: %w", err)
	}
	return &Renderer{a: a, st: a.stage(w, h), w: w, h: h}, nil
}

// Warm renders every cached layer the renderer can need except mouth blends,
// so that frames after it only copy memory. It takes tens of milliseconds.
func (r *Renderer) Warm() { r.st.warm() }

// Size returns the frame size.
func (r *Renderer) Size() (w, h int) { return r.w, r.h }

// Speak sets the utterance whose visemes drive the mouth in the Speaking state:
// tl is copied (the caller may reuse it), cleaned with Normalize, and its offsets
// count from start on the Render clock. An empty timeline means silence.
func (r *Renderer) Speak(tl viseme.Timeline, start time.Duration) {
	r.speech = append(r.speech[:0], tl...).Normalize()
	r.start = start
}

// Render draws the frame at clock time t in state s into dst, which must be an
// I420 image of the renderer's size. It allocates nothing once the shapes it
// needs are cached.
func (r *Renderer) Render(dst *image.YCbCr, t time.Duration, s State) error {
	if dst == nil || dst.Rect.Dx() != r.w || dst.Rect.Dy() != r.h ||
		dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("avatars: render: %w: want a %dx%d I420 frame", ErrBadSize, r.w, r.h)
	}
	if t < 0 {
		t = 0
	}
	st := r.st
	step := st.sc.lay.step
	target := r.a.motion(t, s, step)
	p := target
	if r.begun { // move at most one step per frame so state changes do not jump
		p.dx = approach(r.last.dx, target.dx, step)
		p.dy = approach(r.last.dy, target.dy, step)
	}
	r.last, r.begun = p, true

	copyPlanes(dst, st.base)
	st.head(p).blit(dst, st.headRect.Min)

	open, gaze := r.a.eyes(t, s)
	blitAt(dst, st.eyeSprite(p, open, gaze), p)

	a, b, k := viseme.Rest, viseme.Rest, 0
	if s == Speaking {
		a, b, k = r.mouthAt(t)
	}
	blitAt(dst, st.mouthSprite(p, a, b, k), p)
	return nil
}

// approach moves cur towards want by at most one step.
func approach(cur, want, step int) int {
	switch {
	case want > cur:
		return cur + step
	case want < cur:
		return cur - step
	}
	return cur
}

// copyPlanes copies a full-frame base into dst, honouring dst's strides.
func copyPlanes(dst *image.YCbCr, p *planes) {
	w, h := p.r.Dx(), p.r.Dy()
	for y := 0; y < h; y++ {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], p.y[y*p.yStride:(y+1)*p.yStride])
	}
	for y := 0; y < h/2; y++ {
		copy(dst.Cb[y*dst.CStride:y*dst.CStride+w/2], p.cb[y*p.cStride:(y+1)*p.cStride])
		copy(dst.Cr[y*dst.CStride:y*dst.CStride+w/2], p.cr[y*p.cStride:(y+1)*p.cStride])
	}
}

// mouthAt returns the mouth blend for clock time t: from shape a to b at
// k/mouthSteps, or b itself when k is 0.
func (r *Renderer) mouthAt(t time.Duration) (a, b viseme.Shape, k int) {
	d := t - r.start
	if len(r.speech) == 0 || d < 0 {
		return viseme.Rest, viseme.Rest, 0
	}
	prev, cur, since := r.speech.At(d)
	if cur != viseme.Rest && since > maxHold {
		prev, cur, since = cur, viseme.Rest, since-maxHold
	}
	if since >= BlendTime || prev == cur {
		return cur, cur, 0
	}
	k = 1 + int(since*(mouthSteps-1)/BlendTime)
	return prev, cur, k
}

// motion returns the head offset at t in state s. Idle motion repeats every
// IdleLoopPeriod; the other states add their own movement on top of it.
func (a *Avatar) motion(t time.Duration, s State, step int) pose {
	st := a.look.seed
	ph := 2 * math.Pi * float64(t%IdleLoopPeriod) / float64(IdleLoopPeriod)
	f1 := float64(st%628) / 100
	f2 := float64(st>>10%628) / 100
	// Breathing (one breath per loop) and a slow sway.
	x := 0.9*math.Sin(ph+f1) + 0.45*math.Sin(2*ph+f2)
	y := 0.55*math.Sin(ph) + 0.35*math.Sin(3*ph+f1)
	sec := t.Seconds()
	switch s {
	case Listening:
		// A small nod every 2.4 s, with a seeded phase.
		nt := math.Mod(sec+f2, 2.4)
		if nt < 0.6 {
			y += 1.6 * math.Pow(math.Sin(math.Pi*nt/0.6), 2)
		}
	case Thinking:
		x -= 1.1
		y -= 0.6
	case Speaking:
		x += 0.7 * math.Sin(2*math.Pi*sec/2.3+f1)
		y += 0.5 * math.Sin(2*math.Pi*sec/1.7+f2)
	}
	return pose{
		dx: step * clampInt(int(math.Round(x)), offMinX, offMaxX),
		dy: step * clampInt(int(math.Round(y)), offMinY, offMaxY),
	}
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// eyes returns the eye sprite (openness level, gaze) at t in state s.
func (a *Avatar) eyes(t time.Duration, s State) (open, gaze int) {
	gaze = gazeAhead
	if s == Thinking {
		gaze = gazeThink
	}
	var since time.Duration
	if s == Idle {
		since = a.idleBlink(t)
	} else {
		since = a.blink(t)
	}
	if since < 0 || since >= blinkLen {
		return 0, gaze
	}
	// Close fast, open a little slower: 1, .6, .25, 0, 0, .25, .6, 1 over ~170 ms.
	ph := float64(since) / float64(blinkLen)
	v := math.Abs(ph*2-0.85) / 1.15 // 0 at 42 % of the blink
	switch {
	case v < 0.2:
		open = 3
	case v < 0.45:
		open = 2
	case v < 0.75:
		open = 1
	}
	return open, gaze
}

// blink returns how long ago the latest blink before t started (negative if
// none is under way). Blinks fall once per 4 s slot at seeded positions, with
// an occasional double blink; the cost does not depend on t.
func (a *Avatar) blink(t time.Duration) time.Duration {
	n := uint64(t / blinkSlot)
	h := hash(a.look.seed, n)
	at := time.Duration(n)*blinkSlot + 300*time.Millisecond +
		time.Duration(h%uint64(3200))*time.Millisecond
	d := t - at
	if h>>20%5 == 0 && d >= 330*time.Millisecond { // double blink
		d -= 330 * time.Millisecond
	}
	if d < 0 {
		return -1
	}
	return d
}

// idleBlink is blink for the idle loop: two seeded blinks per period.
func (a *Avatar) idleBlink(t time.Duration) time.Duration {
	tt := t % IdleLoopPeriod
	h := a.look.seed
	b1 := 600*time.Millisecond + time.Duration(h>>5%1700)*time.Millisecond
	b2 := 3400*time.Millisecond + time.Duration(h>>17%1900)*time.Millisecond
	if d := tt - b2; d >= 0 {
		return d
	}
	if d := tt - b1; d >= 0 {
		return d
	}
	return -1
}

// IdleLoop renders the seamless idle loop at w×h: IdleLoopPeriod × FPS frames
// (150) that a media server can encode once and repeat for every viewer.
func (a *Avatar) IdleLoop(w, h int) ([]*image.YCbCr, error) {
	r, err := a.NewRenderer(w, h)
	if err != nil {
		return nil, err
	}
	n := int(IdleLoopPeriod / frameDelta)
	frames := make([]*image.YCbCr, n)
	for i := range frames {
		frames[i] = NewFrame(w, h)
		r.begun = false // the loop must not depend on the previous frame
		if err := r.Render(frames[i], time.Duration(i)*frameDelta, Idle); err != nil {
			return nil, err
		}
	}
	return frames, nil
}
