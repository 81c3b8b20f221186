package avatars

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// ContactSheet lays the thumbnails of avs out in a grid, cols wide, each cell
// side pixels square, for reviewing many portraits at once.
func ContactSheet(avs []*Avatar, cols, side int) (*image.RGBA, error) {
	if cols < 1 || len(avs) == 0 {
		return nil, fmt.Errorf("avatars: contact sheet: %d avatars in %d columns", len(avs), cols)
	}
	rows := (len(avs) + cols - 1) / cols
	gap := 4
	sheet := image.NewRGBA(image.Rect(0, 0, cols*(side+gap)+gap, rows*(side+gap)+gap))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.NRGBA{0x30, 0x33, 0x38, 0xff}),
		image.Point{}, draw.Src)
	for i, a := range avs {
		im, err := a.Thumbnail(side)
		if err != nil {
			return nil, fmt.Errorf("avatars: contact sheet: lawyer %d: %w", a.persona.ID, err)
		}
		x, y := gap+(i%cols)*(side+gap), gap+(i/cols)*(side+gap)
		draw.Draw(sheet, image.Rect(x, y, x+side, y+side), im, image.Point{}, draw.Src)
	}
	return sheet, nil
}
