package avatars

import (
	"image"
)

// planes is a rectangle of I420 pixels: full-resolution luma and half-resolution
// chroma, tightly packed. r is even-aligned in output coordinates.
type planes struct {
	r          image.Rectangle
	y, cb, cr  []byte
	yStride    int
	cStride    int
	spans      []span // per chroma row, nil for the whole rectangle
	cw, chRows int
}

// span is the chroma-column range [x0, x1) of one chroma row that a sprite
// owns; pixels outside it are left as they are.
type span struct{ x0, x1 int16 }

// bytes is the memory held by p.
func (p *planes) bytes() int { return len(p.y) + len(p.cb) + len(p.cr) + 4*len(p.spans) }

// Colour conversion is BT.601 with limited ("studio") range, what VP8 and H.264
// decoders in browsers and ffmpeg's yuv420p assume.
func lumaOf(r, g, b int32) byte { return byte((66*r+129*g+25*b+128)>>8 + 16) }

func chromaOf(r, g, b int32) (byte, byte) {
	cb := (-38*r-74*g+112*b+128)>>8 + 128
	cr := (112*r-94*g-18*b+128)>>8 + 128
	return byte(cb), byte(cr)
}

// toPlanes converts im, the part r of the output (r even-aligned, im's origin
// at r.Min), to I420.
func toPlanes(im *image.RGBA, r image.Rectangle) *planes {
	w, h := r.Dx(), r.Dy()
	cw, ch := w/2, h/2
	p := &planes{r: r, y: make([]byte, w*h), cb: make([]byte, cw*ch), cr: make([]byte, cw*ch),
		yStride: w, cStride: cw, cw: cw, chRows: ch}
	for yy := 0; yy < h; yy++ {
		row := im.Pix[im.PixOffset(0, yy):]
		for xx := 0; xx < w; xx++ {
			q := row[4*xx : 4*xx+3]
			p.y[yy*w+xx] = lumaOf(int32(q[0]), int32(q[1]), int32(q[2]))
		}
	}
	for cy := 0; cy < ch; cy++ {
		r0 := im.Pix[im.PixOffset(0, 2*cy):]
		r1 := im.Pix[im.PixOffset(0, 2*cy+1):]
		for cx := 0; cx < cw; cx++ {
			o := 8 * cx
			sr := int32(r0[o]) + int32(r0[o+4]) + int32(r1[o]) + int32(r1[o+4])
			sg := int32(r0[o+1]) + int32(r0[o+5]) + int32(r1[o+1]) + int32(r1[o+5])
			sb := int32(r0[o+2]) + int32(r0[o+6]) + int32(r1[o+2]) + int32(r1[o+6])
			p.cb[cy*cw+cx], p.cr[cy*cw+cx] = chromaOf((sr+2)/4, (sg+2)/4, (sb+2)/4)
		}
	}
	return p
}

// attachedSpans finds, per chroma row, the longest run of 2×2 blocks that move
// with the head: opaque in face (the face layer alone) and identical in a, b
// and c (the same region drawn with the head at three offsets, each image
// aligned to the head).
func attachedSpans(face, a, b, c *image.RGBA) []span {
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	spans := make([]span, h/2)
	ok := func(x, y int) bool {
		o := a.PixOffset(x, y)
		return face.Pix[o+3] == 255 &&
			[4]byte(a.Pix[o:o+4]) == [4]byte(b.Pix[o:o+4]) &&
			[4]byte(a.Pix[o:o+4]) == [4]byte(c.Pix[o:o+4])
	}
	for cy := range spans {
		run, best, bestAt := 0, 0, 0
		for cx := 0; cx < w/2; cx++ {
			if ok(2*cx, 2*cy) && ok(2*cx+1, 2*cy) && ok(2*cx, 2*cy+1) && ok(2*cx+1, 2*cy+1) {
				run++
				if run > best {
					best, bestAt = run, cx+1-run
				}
			} else {
				run = 0
			}
		}
		spans[cy] = span{int16(bestAt), int16(bestAt + best)}
	}
	return spans
}

// blit copies p into dst with its top-left corner at output position at. Parts
// outside dst are skipped; at must be even.
func (p *planes) blit(dst *image.YCbCr, at image.Point) {
	b := dst.Rect
	for cy := 0; cy < p.chRows; cy++ {
		oy := at.Y + 2*cy
		if oy < b.Min.Y || oy+1 >= b.Max.Y {
			continue
		}
		x0, x1 := 0, p.cw
		if p.spans != nil {
			x0, x1 = int(p.spans[cy].x0), int(p.spans[cy].x1)
		}
		// Clip the run to dst.
		if d := b.Min.X - (at.X + 2*x0); d > 0 {
			x0 += (d + 1) / 2
		}
		if d := at.X + 2*x1 - b.Max.X; d > 0 {
			x1 -= (d + 1) / 2
		}
		if x0 >= x1 {
			continue
		}
		ox := at.X + 2*x0
		for k := 0; k < 2; k++ {
			di := dst.YOffset(ox, oy+k)
			si := (2*cy+k)*p.yStride + 2*x0
			copy(dst.Y[di:di+2*(x1-x0)], p.y[si:si+2*(x1-x0)])
		}
		ci := dst.COffset(ox, oy)
		si := cy*p.cStride + x0
		copy(dst.Cb[ci:ci+x1-x0], p.cb[si:si+x1-x0])
		copy(dst.Cr[ci:ci+x1-x0], p.cr[si:si+x1-x0])
	}
}

// NewFrame allocates an I420 frame of w×h, for callers that have none to reuse.
func NewFrame(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

// ToRGBA converts an I420 frame made by a Renderer back to RGB, with the same
// limited-range BT.601 matrix (image.YCbCr's own conversion assumes full range).
func ToRGBA(f *image.YCbCr) *image.RGBA {
	b := f.Rect
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			yy := (int32(f.Y[f.YOffset(x, y)]) - 16) * 298
			ci := f.COffset(x, y)
			cb, cr := int32(f.Cb[ci])-128, int32(f.Cr[ci])-128
			cl := func(v int32) uint8 { return uint8(max(0, min(255, (v+128)>>8))) }
			o := out.PixOffset(x, y)
			out.Pix[o] = cl(yy + 409*cr)
			out.Pix[o+1] = cl(yy - 100*cb - 208*cr)
			out.Pix[o+2] = cl(yy + 516*cb)
			out.Pix[o+3] = 255
		}
	}
	return out
}
