package avatars

import (
	"bytes"
	"image"
	"testing"
	"time"

	"fayun/avatars/viseme"
)

func mustAvatar(t testing.TB, p Persona) *Avatar {
	t.Helper()
	a, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func framesEqual(a, b *image.YCbCr) bool {
	return bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
}

// renderSeq renders a fixed sequence of frames through every state.
func renderSeq(t testing.TB, a *Avatar, w, h int) []*image.YCbCr {
	r, err := a.NewRenderer(w, h)
	if err != nil {
		t.Fatal(err)
	}
	r.Speak(viseme.Timeline{{At: 0, Shape: viseme.MBP}, {At: 80 * time.Millisecond, Shape: viseme.AA},
		{At: 200 * time.Millisecond, Shape: viseme.OH}, {At: 330 * time.Millisecond, Shape: viseme.Rest}}, time.Second)
	var out []*image.YCbCr
	for i, s := range []State{Idle, Listening, Thinking, Speaking, Speaking, Speaking} {
		f := NewFrame(w, h)
		if err := r.Render(f, time.Second+time.Duration(i)*50*time.Millisecond, s); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	p := testPersonas(20)[13]
	a1 := renderSeq(t, mustAvatar(t, p), 480, 360)
	a2 := renderSeq(t, mustAvatar(t, p), 480, 360)
	for i := range a1 {
		if !framesEqual(a1[i], a2[i]) {
			t.Fatalf("frame %d differs between two avatars of the same persona", i)
		}
	}
	im1, _ := mustAvatar(t, p).Portrait(320, 240)
	im2, _ := mustAvatar(t, p).Portrait(320, 240)
	if !bytes.Equal(im1.(*image.RGBA).Pix, im2.(*image.RGBA).Pix) {
		t.Fatal("portraits of the same persona differ")
	}
}

// TestFastPathMatchesDrawing checks that a frame assembled from cached layers
// and sprites equals the picture drawn from scratch with the same pose, eyes and
// mouth (up to rounding in the colour conversion).
func TestFastPathMatchesDrawing(t *testing.T) {
	for _, id := range []int{1, 2, 6, 9} {
		a := mustAvatar(t, testPersonas(10)[id-1])
		for _, size := range []image.Point{{480, 360}, {640, 360}} {
			r, err := a.NewRenderer(size.X, size.Y)
			if err != nil {
				t.Fatal(err)
			}
			st := r.st
			for _, p := range []pose{{0, 0}, {1, -1}, {-2, 3}, {2, 2}} {
				p.dx *= st.sc.lay.step
				p.dy *= st.sc.lay.step
				f := NewFrame(size.X, size.Y)
				copyPlanes(f, st.base)
				st.head(p).blit(f, st.headRect.Min)
				blitAt(f, st.eyeSprite(p, 2, gazeThink), p)
				blitAt(f, st.mouthSprite(p, viseme.AA, viseme.UW, 2), p)

				m := blendMouth(mouthParams[viseme.AA], mouthParams[viseme.UW], 0.5)
				e := eyeState{open: eyeOpenLevels[2], gx: eyeGazes[gazeThink][0], gy: eyeGazes[gazeThink][1]}
				full := image.Rect(0, 0, size.X, size.Y)
				want := toPlanes(st.sc.drawAll(full, p, e, m, true), full)
				if d := maxDiff(f.Y, want.y); d > 8 { // float rounding of the canvas origin: a few levels
					t.Errorf("id %d %v pose %v: luma differs by up to %d", id, size, p, d)
				}
			}
		}
	}
}

func maxDiff(a, b []byte) int {
	m := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
	}
	return m
}

// TestLipSync renders the same instant with different visemes: frames must
// differ inside the mouth region and nowhere else.
func TestLipSync(t *testing.T) {
	a := mustAvatar(t, testPersonas(5)[2])
	r, err := a.NewRenderer(480, 360)
	if err != nil {
		t.Fatal(err)
	}
	at := 2*time.Second + 100*time.Millisecond
	frames := map[viseme.Shape]*image.YCbCr{}
	for s := viseme.Shape(0); s < viseme.Shape(viseme.Count); s++ {
		r.begun = false
		r.Speak(viseme.Timeline{{At: 0, Shape: s}}, 2*time.Second)
		f := NewFrame(480, 360)
		if err := r.Render(f, at, Speaking); err != nil {
			t.Fatal(err)
		}
		frames[s] = f
	}
	p := a.motion(at, Speaking, r.st.sc.lay.step)
	mouth := r.st.mouthRct.Add(image.Pt(p.dx, p.dy))
	for s1 := viseme.Shape(0); s1 < viseme.Shape(viseme.Count); s1++ {
		for s2 := s1 + 1; s2 < viseme.Shape(viseme.Count); s2++ {
			in, out := regionDiff(frames[s1], frames[s2], mouth)
			if out != 0 {
				t.Errorf("%v vs %v: %d pixels differ outside the mouth", s1, s2, out)
			}
			if in < 20 {
				t.Errorf("%v vs %v: only %d mouth pixels differ", s1, s2, in)
			}
		}
	}
}

// regionDiff counts luma pixels that differ by more than 8 inside and outside r.
func regionDiff(a, b *image.YCbCr, r image.Rectangle) (in, out int) {
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			d := int(a.Y[a.YOffset(x, y)]) - int(b.Y[b.YOffset(x, y)])
			if d > 8 || d < -8 {
				if image.Pt(x, y).In(r) {
					in++
				} else {
					out++
				}
			}
		}
	}
	return in, out
}

func TestBadInput(t *testing.T) {
	a := mustAvatar(t, testPersonas(3)[0])
	r, err := a.NewRenderer(480, 360)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFrame(480, 360)
	tls := []viseme.Timeline{
		nil,
		{},
		{{At: 500 * time.Millisecond, Shape: viseme.AA}, {At: 100 * time.Millisecond, Shape: viseme.OH},
			{At: -time.Second, Shape: viseme.EE}},
		{{At: 0, Shape: viseme.Shape(200)}, {At: 40 * time.Millisecond, Shape: viseme.Shape(11)}},
		{{At: 1 << 62, Shape: viseme.AA}},
	}
	clocks := []time.Duration{-time.Hour, 0, 90 * time.Millisecond, 1 << 62, time.Duration(1<<63 - 1)}
	for _, tl := range tls {
		r.Speak(tl, 0)
		for _, c := range clocks {
			for _, s := range []State{Idle, Listening, Thinking, Speaking, State(99)} {
				if err := r.Render(f, c, s); err != nil {
					t.Fatalf("render %v at %v: %v", s, c, err)
				}
			}
		}
	}
	// The caller's timeline is not reordered.
	tl := viseme.Timeline{{At: 500 * time.Millisecond, Shape: viseme.AA}, {At: 100 * time.Millisecond, Shape: viseme.OH}}
	r.Speak(tl, 0)
	if tl[0].Shape != viseme.AA {
		t.Error("Speak reordered the caller's timeline")
	}
	// Wrong frames and sizes are errors, not panics.
	for _, dst := range []*image.YCbCr{nil, NewFrame(320, 240),
		image.NewYCbCr(image.Rect(0, 0, 480, 360), image.YCbCrSubsampleRatio444)} {
		if err := r.Render(dst, 0, Idle); err == nil {
			t.Errorf("render into %v: no error", dst)
		}
	}
	for _, sz := range [][2]int{{0, 0}, {481, 360}, {-2, 4}, {4000, 360}} {
		if _, err := a.NewRenderer(sz[0], sz[1]); err == nil {
			t.Errorf("renderer %v: no error", sz)
		}
	}
	if _, err := New(Persona{ID: 1, Gender: "robot"}, Options{}); err == nil {
		t.Error("persona with unknown gender accepted")
	}
}

func TestIdleLoopSeamless(t *testing.T) {
	a := mustAvatar(t, testPersonas(8)[7])
	loop, err := a.IdleLoop(320, 240)
	if err != nil {
		t.Fatal(err)
	}
	if len(loop) != 150 {
		t.Fatalf("loop has %d frames, want 150", len(loop))
	}
	r, _ := a.NewRenderer(320, 240)
	f := NewFrame(320, 240)
	_ = r.Render(f, IdleLoopPeriod, Idle)
	if !framesEqual(f, loop[0]) {
		t.Error("frame at one period differs from the loop's first frame")
	}
	// The loop moves (breathing, sway, blinks) but never jumps more than a blink.
	distinct := 0
	for i := 1; i < len(loop); i++ {
		if !framesEqual(loop[i], loop[i-1]) {
			distinct++
		}
	}
	if distinct < 10 {
		t.Errorf("only %d frame changes in the idle loop", distinct)
	}
}

func TestSizes(t *testing.T) {
	a := mustAvatar(t, testPersonas(4)[3])
	for _, sz := range [][2]int{{480, 360}, {640, 360}, {640, 480}, {1280, 720}, {360, 640}} {
		r, err := a.NewRenderer(sz[0], sz[1])
		if err != nil {
			t.Fatal(err)
		}
		f := NewFrame(sz[0], sz[1])
		r.Speak(viseme.Timeline{{At: 0, Shape: viseme.AA}}, 0)
		if err := r.Render(f, 300*time.Millisecond, Speaking); err != nil {
			t.Fatal(err)
		}
	}
}
