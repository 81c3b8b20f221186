package avatars

import (
	"image"
	"testing"

	"fayun/lawyers"
)

// minFaceDistance is the smallest mean absolute difference (8-bit levels over
// R, G and B) allowed between the head regions of two lawyers' thumbnails. Two
// renderings of one avatar differ by 0 and VP8 at 500 kbps moves a face by about
// 2; a different hair style, glasses or hair colour gives 15 and more. The
// closest pair of the roster (lawyers 49 and 153: same hair style and colour,
// told apart by face width, brows, skin tone and tie) measures 6.2; 5 keeps
// every pair clearly above codec noise.
const minFaceDistance = 5.0

func TestPortraitsDistinct(t *testing.T) {
	roster := lawyers.Roster()
	if len(roster) != 163 {
		t.Fatalf("roster has %d lawyers", len(roster))
	}
	const side = 96
	face := image.Rect(side/5, side/10, side*4/5, side*4/5) // hair, face, collar
	pix := make([][]byte, len(roster))
	females := 0
	for i, l := range roster {
		a := mustAvatar(t, Persona{ID: l.ID, Name: l.Name, Gender: l.Gender,
			YearsPractice: l.YearsPractice})
		if a.look.female {
			females++
		}
		im, err := a.Thumbnail(side)
		if err != nil {
			t.Fatal(err)
		}
		rgba := im.(*image.RGBA)
		for y := face.Min.Y; y < face.Max.Y; y++ {
			o := rgba.PixOffset(face.Min.X, y)
			for x := 0; x < face.Dx(); x++ {
				pix[i] = append(pix[i], rgba.Pix[o+4*x:o+4*x+3]...)
			}
		}
	}
	if females == 0 || females == len(roster) {
		t.Fatalf("%d of %d avatars female: gender ignored", females, len(roster))
	}
	minD, minI, minJ := 1e9, 0, 0
	for i := range pix {
		for j := i + 1; j < len(pix); j++ {
			var sum int
			for k := range pix[i] {
				d := int(pix[i][k]) - int(pix[j][k])
				if d < 0 {
					d = -d
				}
				sum += d
			}
			if d := float64(sum) / float64(len(pix[i])); d < minD {
				minD, minI, minJ = d, i, j
			}
		}
	}
	t.Logf("closest pair: lawyers %d and %d, mean difference %.1f", roster[minI].ID, roster[minJ].ID, minD)
	if minD < minFaceDistance {
		t.Errorf("lawyers %d and %d look alike: mean difference %.1f < %.1f",
			roster[minI].ID, roster[minJ].ID, minD, minFaceDistance)
	}
}
