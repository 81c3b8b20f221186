package avatars

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"testing"
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
