package avatars

import (
	"fmt"
	"image"
	"os"
	"strings"
	"sync"

	"github.com/fogleman/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// FontDirs are searched, in order, for the Noto Sans CJK collections that the
// nameplate uses (Debian package fonts-noto-cjk). The font is read at run time
// and never embedded.
var FontDirs = []string{
	"/usr/share/fonts/opentype/noto",
	"/usr/share/fonts/noto-cjk",
	"/usr/share/fonts/google-noto-cjk",
	"/usr/share/fonts/truetype/noto",
}

// cjkFonts holds the simplified-Chinese faces of the regular and bold weights;
// either may be nil when not installed.
type cjkFonts struct {
	regular, bold *sfnt.Font
	err           error
}

var (
	fontsOnce sync.Once
	fonts     cjkFonts
	// textMu serialises glyph drawing: faces cache glyphs and are not safe for
	// concurrent use.
	textMu sync.Mutex
	// fontWarn logs a missing font once per process.
	fontWarn sync.Once
)

func loadFonts() *cjkFonts {
	fontsOnce.Do(func() {
		fonts.regular, fonts.err = openCJK("NotoSansCJK-Regular.ttc")
		if fonts.err == nil {
			var err error
			if fonts.bold, err = openCJK("NotoSansCJK-Bold.ttc"); err != nil {
				fonts.bold = fonts.regular
			}
		}
	})
	return &fonts
}

// openCJK opens the collection named file in FontDirs and returns its
// simplified-Chinese member. The file stays open for the life of the process.
func openCJK(file string) (*sfnt.Font, error) {
	for _, dir := range FontDirs {
		f, err := os.Open(dir + "/" + file)
		if err != nil {
			continue
		}
		c, err := opentype.ParseCollectionReaderAt(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("avatars: parse %s: %w", file, err)
		}
		var first *sfnt.Font
		for i := 0; i < c.NumFonts(); i++ {
			fnt, err := c.Font(i)
			if err != nil {
				continue
			}
			if first == nil {
				first = fnt
			}
			name, _ := fnt.Name(nil, sfnt.NameIDFamily)
			if strings.HasSuffix(name, " SC") {
				return fnt, nil
			}
		}
		if first != nil {
			return first, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("avatars: %s not found in %v (install fonts-noto-cjk)", file, FontDirs)
}

// FontAvailable reports whether the CJK font for nameplates was found, and why not.
func FontAvailable() error { return loadFonts().err }

func newFace(f *sfnt.Font, px float64) (font.Face, error) {
	return opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
}

// nameplate draws the lower-third card with name, specialty and firm.
func (sc *scene) nameplate(dc *gg.Context, org image.Point) {
	fs := loadFonts()
	p := sc.a.persona
	if fs.err != nil {
		fontWarn.Do(func() {
			sc.a.log.Warn("avatar nameplates drawn without text", "lawyer_id", p.ID, "err", fs.err)
		})
		return
	}
	if p.Name == "" {
		return
	}
	lay := sc.lay
	s := lay.s
	x0, _ := lay.designX()
	textMu.Lock()
	defer textMu.Unlock()
	nameFace, err := newFace(fs.bold, 19*s)
	if err != nil {
		return
	}
	subFace, err := newFace(fs.regular, 11.5*s)
	if err != nil {
		return
	}
	sub := p.Specialty
	if p.Firm != "" {
		if sub != "" {
			sub += " · "
		}
		sub += p.Firm
	}
	dc.SetFontFace(nameFace)
	nw, _ := dc.MeasureString(p.Name)
	dc.SetFontFace(subFace)
	sw, _ := dc.MeasureString(sub)
	maxW := float64(lay.w) * 0.62
	if sw > maxW && p.Specialty != "" { // drop the firm when it does not fit
		sub = p.Specialty
		sw, _ = dc.MeasureString(sub)
	}
	w := max(nw, sw) + 30*s
	h := 50 * s
	x := x0*s + lay.tx + 14*s - float64(org.X)
	y := float64(lay.h) - h - 14*s - float64(org.Y)

	dc.DrawRoundedRectangle(x+1.5*s, y+2*s, w, h, 4*s)
	dc.SetRGBA(0, 0, 0, 0.14)
	dc.Fill()
	dc.DrawRoundedRectangle(x, y, w, h, 4*s)
	dc.SetRGBA(1, 1, 1, 0.9)
	dc.Fill()
	dc.DrawRectangle(x, y+5*s, 4*s, h-10*s)
	setRGB(dc, hex(0xb3262e), 1)
	dc.Fill()

	dc.SetFontFace(nameFace)
	setRGB(dc, hex(0x1b2230), 1)
	dc.DrawString(p.Name, x+15*s, y+23*s)
	dc.SetFontFace(subFace)
	setRGB(dc, hex(0x4c5566), 1)
	dc.DrawString(sub, x+15*s, y+41*s)
}
