package stt

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

var (
	reThousands = regexp.MustCompile(`(\d),(\d{3})`)
	rePercent   = regexp.MustCompile(`(\d)\s*%`)
	reDecimal   = regexp.MustCompile(`(\d+)\.(\d+)`)
	reOrdinal   = regexp.MustCompile(`\b(\d+)(st|nd|rd|th)\b`)
	reNumber    = regexp.MustCompile(`\d+`)
)

// Normalize turns English text into the word sequence a recognizer would output:
// lowercase words of letters and apostrophes, numbers spelt out ("30%" → "thirty
// percent", "3.5" → "three point five", "2nd" → "second"), everything else a word
// break. It is used on the language-model sentences, on references when measuring
// word error rate, and on transcripts.
func Normalize(text string) []string {
	s := strings.ToLower(text)
	s = strings.NewReplacer("’", "'", "‘", "'", "&", " and ", "¥", " yuan ", "$", " dollars ",
		"e.g.", " for example ", "i.e.", " that is ").Replace(s)
	for reThousands.MatchString(s) {
		s = reThousands.ReplaceAllString(s, "$1$2")
	}
	s = rePercent.ReplaceAllString(s, "$1 percent")
	s = reDecimal.ReplaceAllStringFunc(s, func(m string) string {
		a, b, _ := strings.Cut(m, ".")
		out := spellNumber(a) + " point"
		for _, d := range b {
			out += " " + ones[d-'0']
		}
		return " " + out + " "
	})
	s = reOrdinal.ReplaceAllStringFunc(s, func(m string) string {
		return " " + ordinal(spellNumber(strings.TrimRight(m, "stndrh"))) + " "
	})
	s = reNumber.ReplaceAllStringFunc(s, func(m string) string { return " " + spellNumber(m) + " " })
	words := strings.FieldsFunc(s, func(r rune) bool { return !(unicode.IsLetter(r) || r == '\'') })
	out := words[:0]
	for _, w := range words {
		w = strings.Trim(w, "'")
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
		"nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
		"seventeen", "eighteen", "nineteen"}
	tens   = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	scales = []struct {
		n    int64
		name string
	}{{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}, {100, "hundred"}}
)

// spellNumber spells a string of digits as English words; over 15 digits they are
// read one by one.
func spellNumber(digits string) string {
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || len(digits) > 15 {
		var parts []string
		for _, d := range digits {
			parts = append(parts, ones[d-'0'])
		}
		return strings.Join(parts, " ")
	}
	return strings.Join(spell(n), " ")
}

func spell(n int64) []string {
	if n < 20 {
		return []string{ones[n]}
	}
	if n < 100 {
		out := []string{tens[n/10]}
		if n%10 != 0 {
			out = append(out, ones[n%10])
		}
		return out
	}
	for _, s := range scales {
		if n >= s.n {
			out := append(spell(n/s.n), s.name)
			if n%s.n != 0 {
				out = append(out, spell(n%s.n)...)
			}
			return out
		}
	}
	return nil
}

var ordinalIrregular = map[string]string{"one": "first", "two": "second", "three": "third",
	"five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}

// ordinal turns the last word of a spelt number into its ordinal form.
func ordinal(spelt string) string {
	i := strings.LastIndexByte(spelt, ' ') + 1
	last := spelt[i:]
	switch {
	case ordinalIrregular[last] != "":
		last = ordinalIrregular[last]
	case strings.HasSuffix(last, "y"):
		last = strings.TrimSuffix(last, "y") + "ieth"
	default:
		last += "th"
	}
	return spelt[:i] + last
}

// WER returns the word error rate of hyp against ref (both normalized with
// Normalize): substitutions, deletions and insertions over the reference length.
func WER(ref, hyp string) (errors, words int) {
	r, h := Normalize(ref), Normalize(hyp)
	prev := make([]int, len(h)+1)
	cur := make([]int, len(h)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(r); i++ {
		cur[0] = i
		for j := 1; j <= len(h); j++ {
			sub := prev[j-1]
			if r[i-1] != h[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(h)], len(r)
}
