package clips

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SubtitleFont is the fontconfig family libass draws subtitles and the title with
// (Debian fonts-noto-cjk); it covers Chinese and Latin text.
const SubtitleFont = "Noto Sans CJK SC"

// titleTime is how long the title card stays on screen.
const titleTime = 3500 * time.Millisecond

// ASS writes an Advanced SubStation Alpha script for a w×h clip: one event per group
// of at most two lines of each cue, at the bottom, and the title (if any) in a box at
// the top for the first seconds. Lines are broken here rather than by libass, which
// does not break Chinese text without spaces.
func ASS(s Size, cues []Cue, title string, total time.Duration) string {
	fs := s.H * 6 / 100 // 21 px at 360, 43 px at 720
	margin := s.W * 6 / 100
	var b strings.Builder
	fmt.Fprintf(&b, "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\n", s.W, s.H)
	b.WriteString("WrapStyle: 2\nScaledBorderAndShadow: yes\n\n[V4+ Styles]\n")
	b.WriteString("Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, " +
		"OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, " +
		"Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, " +
		"MarginV, Encoding\n")
	fmt.Fprintf(&b, "Style: Sub,%s,%d,&H00FFFFFF,&H000000FF,&H00101010,&H80000000,"+
		"0,0,0,0,100,100,0,0,1,%d,0,2,%d,%d,%d,1\n",
		SubtitleFont, fs, max(2, fs/10), margin, margin, s.H/5) // above the nameplate
	fmt.Fprintf(&b, "Style: Title,%s,%d,&H00FFFFFF,&H000000FF,&H60503014,&H00000000,"+
		"-1,0,0,0,100,100,0,0,3,%d,0,8,%d,%d,%d,1\n",
		SubtitleFont, fs*5/4, max(4, fs/3), margin, margin, s.H/12)
	b.WriteString("\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, " +
		"MarginV, Effect, Text\n")
	if title != "" {
		fmt.Fprintf(&b, "Dialogue: 1,%s,%s,Title,,0,0,0,,%s\n", assTime(0),
			assTime(min(titleTime, total)), assEscape(title))
	}
	width := float64(s.W - 2*margin)
	for _, c := range cues {
		lines := wrap(c.Text, float64(fs), width)
		groups := (len(lines) + 1) / 2
		total := 0
		for _, l := range lines {
			total += utf8.RuneCountInString(l)
		}
		at, done := c.Start, 0
		for g := 0; g < groups; g++ {
			part := lines[2*g : min(len(lines), 2*g+2)]
			for _, l := range part {
				done += utf8.RuneCountInString(l)
			}
			end := c.Start + time.Duration(float64(c.End-c.Start)*float64(done)/float64(max(1, total)))
			if g == groups-1 {
				end = c.End
			}
			fmt.Fprintf(&b, "Dialogue: 0,%s,%s,Sub,,0,0,0,,%s\n", assTime(at), assTime(end),
				strings.Join(mapStrings(part, assEscape), `\N`))
			at = end
		}
	}
	return b.String()
}

// assTime formats d as H:MM:SS.cc.
func assTime(d time.Duration) string {
	cs := int64(d / (10 * time.Millisecond))
	return fmt.Sprintf("%d:%02d:%02d.%02d", cs/360000, cs/6000%60, cs/100%60, cs%100)
}

// assEscape keeps text from being read as override codes.
func assEscape(s string) string {
	return strings.NewReplacer(`\`, "＼", "{", "｛", "}", "｝", "\n", " ").Replace(s)
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// runeWidth estimates how wide r is drawn at font size fs: full width for CJK, about
// half for Latin letters and digits.
func runeWidth(r rune, fs float64) float64 {
	switch {
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r),
		unicode.Is(unicode.Katakana, r), r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
		return fs
	case r == ' ':
		return fs * 0.3
	case unicode.IsUpper(r):
		return fs * 0.65
	}
	return fs * 0.55
}

// noLineStart are marks that must not begin a line.
const noLineStart = "，。、；：！？）》」』”’,.;:!?)]"

// wrap breaks text into lines no wider than width: Latin text at spaces, Chinese
// between any two characters (but not before closing punctuation).
func wrap(text string, fs, width float64) []string {
	var lines []string
	var cur []rune
	w := 0.0
	lastSpace := -1
	for _, r := range text {
		rw := runeWidth(r, fs)
		if w+rw > width && len(cur) > 0 && !strings.ContainsRune(noLineStart, r) {
			cut := len(cur)
			if r != ' ' && !isWide(r) && lastSpace > 0 {
				cut = lastSpace // break the Latin word at the previous space
			}
			lines = append(lines, strings.TrimSpace(string(cur[:cut])))
			cur = append([]rune(nil), cur[cut:]...)
			for len(cur) > 0 && cur[0] == ' ' {
				cur = cur[1:]
			}
			w, lastSpace = 0, -1
			for i, c := range cur {
				w += runeWidth(c, fs)
				if c == ' ' {
					lastSpace = i
				}
			}
		}
		if r == ' ' {
			lastSpace = len(cur)
		} else if isWide(r) {
			lastSpace = -1
		}
		cur = append(cur, r)
		w += rw
	}
	if s := strings.TrimSpace(string(cur)); s != "" {
		lines = append(lines, s)
	}
	return lines
}

func isWide(r rune) bool { return runeWidth(r, 1) == 1 }
