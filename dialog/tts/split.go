package tts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSentenceRunes is the length past which Split cuts a sentence at its last clause
// break (comma, colon, enumeration comma) so that a long first sentence does not
// delay the start of speech.
const MaxSentenceRunes = 80

// abbreviations end with a period that does not end a sentence (lowercase, without
// the final period).
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true, "jr": true,
	"sr": true, "no": true, "nos": true, "art": true, "arts": true, "para": true,
	"sec": true, "ch": true, "vol": true, "p": true, "pp": true, "e.g": true, "i.e": true,
	"etc": true, "vs": true, "v": true, "co": true, "ltd": true, "inc": true, "corp": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"u.s": true, "u.k": true, "p.r.c": true, "approx": true, "min": true, "max": true,
	"fig": true, "cf": true, "al": true, "rmb": true,
}

// closers may follow a sentence end and belong to the sentence before.
const closers = "\"'”’）)]】」』》"

// Split cuts text into sentences for speaking one at a time. It ends a sentence at
// Chinese and English full stops, question and exclamation marks, semicolons,
// ellipses and line breaks, keeps closing quotes and brackets with their sentence,
// and does not cut decimal numbers (3.5), section numbers (1.2.3), abbreviations
// (Art. 5, e.g., Mr.) or article references (第五百七十七条, 第577条). Sentences over
// MaxSentenceRunes are cut again at a clause break. Empty pieces are dropped.
func Split(text string) []string {
	var out []string
	var cur strings.Builder
	emit := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s != "" {
			out = append(out, splitLong(s)...)
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\n' || r == '\r' {
			emit()
			continue
		}
		cur.WriteRune(r)
		if !endsSentence(rs, i) {
			continue
		}
		for i+1 < len(rs) && (strings.ContainsRune(closers, rs[i+1]) || isTerminal(rs[i+1])) {
			i++
			cur.WriteRune(rs[i])
		}
		emit()
	}
	emit()
	return out
}

func isTerminal(r rune) bool {
	return strings.ContainsRune("。！？!?；;…", r)
}

// endsSentence reports whether the rune at i ends a sentence.
func endsSentence(rs []rune, i int) bool {
	r := rs[i]
	if isTerminal(r) {
		return true
	}
	if r != '.' && r != '．' {
		return false
	}
	if i+1 < len(rs) && rs[i+1] == '.' { // the first dots of "..."
		return false
	}
	next := rune(' ')
	if i+1 < len(rs) {
		next = rs[i+1]
	}
	if unicode.IsDigit(next) || unicode.IsLetter(next) && next < utf8.RuneSelf {
		return false // 3.5, 1.2.3, e.g, example.com
	}
	return !isAbbreviation(rs, i)
}

// isAbbreviation reports whether the period at i closes a known abbreviation or a
// single capital initial ("J. Smith").
func isAbbreviation(rs []rune, i int) bool {
	j := i
	for j > 0 && (unicode.IsLetter(rs[j-1]) && rs[j-1] < utf8.RuneSelf || rs[j-1] == '.') {
		j--
	}
	word := string(rs[j:i])
	if word == "" {
		return false
	}
	if utf8.RuneCountInString(word) == 1 && unicode.IsUpper(rs[j]) {
		return true
	}
	return abbreviations[strings.ToLower(word)]
}

// splitLong cuts s at clause breaks until every piece fits MaxSentenceRunes (a piece
// without a clause break is left whole).
func splitLong(s string) []string {
	rs := []rune(s)
	if len(rs) <= MaxSentenceRunes {
		return []string{s}
	}
	cut := -1
	for i := MaxSentenceRunes - 1; i >= MaxSentenceRunes/4; i-- {
		if strings.ContainsRune("，,、：:", rs[i]) && !(rs[i] == ',' && i+1 < len(rs) &&
			unicode.IsDigit(rs[i+1]) && i > 0 && unicode.IsDigit(rs[i-1])) {
			cut = i
			break
		}
	}
	if cut < 0 {
		return []string{s}
	}
	head := strings.TrimSpace(string(rs[:cut+1]))
	return append([]string{head}, splitLong(strings.TrimSpace(string(rs[cut+1:])))...)
}
