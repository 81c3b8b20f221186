package tts

import (
	"strings"
	"time"

	"fayun/avatars/viseme"
)

// ipaShape maps the first significant IPA symbol of an eSpeak phoneme to a mouth
// shape. Stress and length marks are stripped before the lookup.
var ipaShape = map[rune]viseme.Shape{
	'p': viseme.MBP, 'b': viseme.MBP, 'm': viseme.MBP,
	'f': viseme.FV, 'v': viseme.FV,
	'θ': viseme.LTH, 'ð': viseme.LTH, 'l': viseme.LTH, 'n': viseme.LTH, 't': viseme.LTH,
	'd': viseme.LTH, 'ɾ': viseme.LTH, 'ɫ': viseme.LTH, 'ɬ': viseme.LTH,
	's': viseme.SZ, 'z': viseme.SZ, 'ʃ': viseme.SZ, 'ʒ': viseme.SZ, 'ɕ': viseme.SZ,
	'ʑ': viseme.SZ, 'ʂ': viseme.SZ, 'ʐ': viseme.SZ, 'c': viseme.SZ, 'ʧ': viseme.SZ,
	'ʤ': viseme.SZ,
	'k': viseme.EE, 'g': viseme.EE, 'ɡ': viseme.EE, 'ŋ': viseme.EE, 'x': viseme.EE,
	'h': viseme.EE, 'ʔ': viseme.EE, 'ɣ': viseme.EE, 'χ': viseme.EE,
	'j': viseme.IH, 'i': viseme.IH, 'ɪ': viseme.IH, 'y': viseme.IH, 'ɨ': viseme.IH,
	'e': viseme.EE, 'ɛ': viseme.EE, 'ə': viseme.EE, 'ɜ': viseme.EE, 'ɚ': viseme.EE,
	'ɝ': viseme.EE, 'ɤ': viseme.EE,
	'a': viseme.AA, 'ɑ': viseme.AA, 'æ': viseme.AA, 'ʌ': viseme.AA, 'ɐ': viseme.AA,
	'ɒ': viseme.OH, 'o': viseme.OH, 'ɔ': viseme.OH,
	'u': viseme.UW, 'ʊ': viseme.UW, 'w': viseme.UW, 'ɯ': viseme.UW, 'ʉ': viseme.UW,
	'ɹ': viseme.UW, 'r': viseme.UW, 'ʁ': viseme.UW, 'ɻ': viseme.UW,
}

// ShapeForIPA returns the mouth shape of one phoneme written in IPA, as eSpeak NG
// reports it in phoneme events ("ˈaɪ", "tʃ", "_" for a pause). Unknown symbols and
// pauses give Rest.
func ShapeForIPA(ph string) viseme.Shape {
	ph = strings.TrimLeft(ph, "ˈˌ'%=,")
	if strings.HasPrefix(ph, "tʃ") || strings.HasPrefix(ph, "dʒ") || strings.HasPrefix(ph, "ts") ||
		strings.HasPrefix(ph, "tɕ") || strings.HasPrefix(ph, "tʂ") || strings.HasPrefix(ph, "dz") {
		return viseme.SZ
	}
	for _, r := range ph {
		if s, ok := ipaShape[r]; ok {
			return s
		}
		if r == '_' || r == ' ' {
			return viseme.Rest
		}
	}
	return viseme.Rest
}

// compact drops cues that repeat the shape before them and sorts the timeline.
func compact(t viseme.Timeline) viseme.Timeline {
	t = t.Normalize()
	out := t[:0]
	for i, c := range t {
		if i > 0 && len(out) > 0 && out[len(out)-1].Shape == c.Shape {
			continue
		}
		if len(out) > 0 && out[len(out)-1].At == c.At {
			out[len(out)-1] = c
			continue
		}
		out = append(out, c)
	}
	return out
}

// Envelope frame and thresholds for EnvelopeVisemes, relative to the loudest frame.
const (
	envelopeFrame = 20 * time.Millisecond
	silentBelowDB = -35 // frames this far below the peak are silence
)

// EnvelopeVisemes estimates a viseme timeline from audio alone, for engines that
// report no phonemes: loudness picks how open the mouth is and the zero-crossing
// rate picks out hissing consonants. It is coarse (no lip rounding, no closures
// inside words) but keeps the mouth moving in time with the voice.
func EnvelopeVisemes(samples []int16, rate int) viseme.Timeline {
	n := rate * int(envelopeFrame) / int(time.Second)
	if n <= 0 || len(samples) < n {
		return viseme.Timeline{{At: 0, Shape: viseme.Rest}}
	}
	type frame struct{ db, zcr float64 }
	var frames []frame
	peak := -100.0
	for off := 0; off+n <= len(samples); off += n {
		f := samples[off : off+n]
		var sum float64
		crossings := 0
		for i, s := range f {
			sum += float64(s) * float64(s)
			if i > 0 && (s >= 0) != (f[i-1] >= 0) {
				crossings++
			}
		}
		db := dbOf(sum / float64(n))
		peak = max(peak, db)
		frames = append(frames, frame{db: db, zcr: float64(crossings) / float64(n)})
	}
	var t viseme.Timeline
	for i, f := range frames {
		rel := f.db - peak
		shape := viseme.Rest
		switch {
		case rel < silentBelowDB:
			shape = viseme.Rest
		case f.zcr > 0.25: // above ~6 kHz of crossings at 24–48 kHz: fricative noise
			shape = viseme.SZ
		case rel > -6:
			shape = viseme.AA
		case rel > -12:
			shape = viseme.OH
		case rel > -20:
			shape = viseme.EE
		default:
			shape = viseme.MBP
		}
		t = append(t, viseme.Cue{At: time.Duration(i) * envelopeFrame, Shape: shape})
	}
	return compact(t)
}
