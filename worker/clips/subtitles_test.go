package clips

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestWrapFitsWidth(t *testing.T) {
	tests := []struct {
		name, text string
		fs, width  float64
		wantLines  int
	}{
		{"short chinese", "您好。", 20, 560, 1},
		{"long chinese", strings.Repeat("劳动合同应当以书面形式订立", 5), 20, 560, 3},
		{"english words", "An employer shall conclude a written labour contract with the " +
			"employee within one month from the date of employment.", 20, 560, 3},
		{"no line starts with a comma", strings.Repeat("试用期", 9) + "，" + "最长六个月。", 20, 540, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := wrap(tt.text, tt.fs, tt.width)
			if len(lines) != tt.wantLines {
				t.Fatalf("wrap gave %d lines %q, want %d", len(lines), lines, tt.wantLines)
			}
			joined := strings.Join(lines, "")
			if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(tt.text, " ", "") {
				t.Errorf("wrap lost text: %q", lines)
			}
			for _, l := range lines {
				w := 0.0
				for _, r := range l {
					w += runeWidth(r, tt.fs)
				}
				first, _ := utf8.DecodeRuneInString(l)
				if w > tt.width+tt.fs || strings.ContainsRune(noLineStart, first) {
					t.Errorf("line %q: width %.0f of %.0f, starts with %q", l, w, tt.width, first)
				}
				if strings.Contains(tt.name, "english") && (strings.HasPrefix(l, " ") ||
					strings.HasSuffix(l, " ")) {
					t.Errorf("line %q keeps a space at an edge", l)
				}
			}
		})
	}
}

func TestASSEvents(t *testing.T) {
	cues := []Cue{{Text: "您好{\\b1}。", Start: 500 * time.Millisecond, End: 1800 * time.Millisecond},
		{Text: strings.Repeat("劳动合同应当以书面形式订立", 6), Start: 2 * time.Second, End: 8 * time.Second}}
	s := ASS(Size{640, 360}, cues, "试用期", 9*time.Second)
	for _, want := range []string{"PlayResX: 640", "Style: Sub,Noto Sans CJK SC,21,",
		"Dialogue: 1,0:00:00.00,0:00:03.50,Title,,0,0,0,,试用期",
		"Dialogue: 0,0:00:00.50,0:00:01.80,Sub,,0,0,0,,您好｛＼b1｝。", "0:00:08.00,Sub"} {
		if !strings.Contains(s, want) {
			t.Errorf("ASS lacks %q:\n%s", want, s)
		}
	}
	if n := strings.Count(s, ",Sub,,"); n != 3 {
		t.Errorf("%d subtitle events, want 3 (one, then a long cue in two groups)", n)
	}
}

// TestSubtitleFontIsNotoCJK checks that libass, through fontconfig, draws the
// subtitles with Noto Sans CJK SC (Debian fonts-noto-cjk), not a fallback font.
func TestSubtitleFontIsNotoCJK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subs.ass")
	s := ASS(Size{640, 360}, []Cue{{Text: "您好，试用期最长六个月。", End: time.Second}}, "", time.Second)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "verbose", "-f", "lavfi",
		"-i", "color=size=640x360:duration=1", "-vf", "subtitles=filename="+filterQuote(path),
		"-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "fontselect: (Noto Sans CJK SC") ||
		!strings.Contains(string(out), "NotoSansCJKsc") {
		t.Errorf("libass did not select Noto Sans CJK SC:\n%s", out)
	}
}
