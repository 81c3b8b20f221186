package avatars

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"testing"
	"time"

	"fayun/avatars/viseme"

	xdraw "golang.org/x/image/draw"
)

func writePNG(t testing.TB, path string, im image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, im); err != nil {
		t.Fatal(err)
	}
}

// TestDevPortraits writes review images when AVATARS_DEV_OUT names a directory.
func TestDevPortraits(t *testing.T) {
	dir := os.Getenv("AVATARS_DEV_OUT")
	if dir == "" {
		t.Skip("AVATARS_DEV_OUT not set")
	}
	ps := testPersonas(163)
	var avs []*Avatar
	for _, p := range ps {
		a, err := New(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		avs = append(avs, a)
	}
	for _, i := range []int{0, 1, 2, 3} {
		im, err := avs[i].Portrait(480, 360)
		if err != nil {
			t.Fatal(err)
		}
		writePNG(t, fmt.Sprintf("%s/p%d.png", dir, i), im)
	}
	im, _ := avs[0].Portrait(1280, 720)
	writePNG(t, dir+"/wide.png", im)
	sheet, err := ContactSheet(avs[:48], 8, 160)
	if err != nil {
		t.Fatal(err)
	}
	writePNG(t, dir+"/sheet.png", sheet)
}

// TestDevFrames writes a few rendered frames when AVATARS_DEV_OUT is set.
func TestDevFrames(t *testing.T) {
	dir := os.Getenv("AVATARS_DEV_OUT")
	if dir == "" {
		t.Skip("AVATARS_DEV_OUT not set")
	}
	for _, id := range []int{1, 6} {
		a, _ := New(testPersonas(10)[id-1], Options{})
		r, err := a.NewRenderer(480, 360)
		if err != nil {
			t.Fatal(err)
		}
		f := NewFrame(480, 360)
		strip := image.NewRGBA(image.Rect(0, 0, 2*120*viseme.Count, 2*120))
		for s := 0; s < viseme.Count; s++ {
			r.Speak(viseme.Timeline{{At: 0, Shape: viseme.Shape(s)}}, 0)
			if err := r.Render(f, 500*time.Millisecond, Speaking); err != nil {
				t.Fatal(err)
			}
			rgba := ToRGBA(f)
			writePNG(t, fmt.Sprintf("%s/f%d_%s.png", dir, id, viseme.Shape(s)), rgba)
			xdraw.CatmullRom.Scale(strip, image.Rect(240*s, 0, 240*s+240, 240), rgba,
				image.Rect(180, 150, 300, 270), xdraw.Src, nil)
		}
		writePNG(t, fmt.Sprintf("%s/mouths%d.png", dir, id), strip)
	}
}
