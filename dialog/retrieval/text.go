package retrieval

import (
	"regexp"
	"strings"
	"unicode"

	"fayun/dialog/law"
)

// Normalize prepares a question for search: emoji, symbols and control characters
// become spaces, runs of spaces collapse, and full-width ASCII becomes ASCII.
func Normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E && r != '（' && r != '）' {
			r -= 0xFEE0 // full-width ASCII
		}
		keep := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsPunct(r) ||
			r == '%' || r == '+' || r == '.'
		if !keep || unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		b.WriteRune(r)
		space = false
	}
	return strings.TrimSpace(b.String())
}

// DetectLang returns "zh" when a text has any Chinese characters and more of them than
// Latin letters' words, else "en".
func DetectLang(s string) string {
	han, latin := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case r < 128 && unicode.IsLetter(r):
			latin++
		}
	}
	if han > 0 && han*3 >= latin {
		return "zh"
	}
	if latin == 0 && han > 0 {
		return "zh"
	}
	return "en"
}

// stopPhrases are words of asking, not of the matter asked about; they are replaced by
// spaces so that they neither score nor join their neighbours into false bigrams.
var stopPhrases = []string{
	"请问一下", "请问", "想问一下", "想问", "问一下", "咨询一下", "是不是", "是否", "有没有",
	"能不能", "可不可以", "会不会", "要不要", "应不应该", "怎么办", "怎么样", "怎么", "怎样",
	"如何", "什么情况下", "什么", "哪些", "哪种", "哪个", "多少", "多久", "几年", "几天",
	"我们", "我的", "你们", "他们", "她们", "我", "你", "吗", "呢", "吧", "啊", "呀", "嘛",
	"了", "的", "得", "就", "还", "都", "也", "要", "会", "能", "可以", "需要", "应该",
	"一下", "这个", "那个", "这种", "那种", "那", "这", "现在", "已经", "有", "是", "在",
	"给", "被", "把", "让", "对", "从", "和", "与", "或者",
}

var enStop = map[string]bool{
	"a": true, "an": true, "the": true, "is": true, "are": true, "was": true, "be": true,
	"do": true, "does": true, "did": true, "we": true, "our": true, "us": true, "i": true,
	"my": true, "you": true, "your": true, "they": true, "their": true, "them": true,
	"it": true, "its": true, "can": true, "could": true, "should": true, "would": true,
	"must": true, "may": true, "what": true, "how": true, "when": true, "which": true,
	"who": true, "if": true, "of": true, "to": true, "in": true, "on": true, "for": true,
	"by": true, "as": true, "at": true, "and": true, "or": true, "with": true, "during": true,
	"there": true, "this": true, "that": true, "have": true, "has": true, "any": true,
	"about": true, "from": true, "he": true, "she": true, "his": true, "her": true,
}

func stripStopPhrases(s string) string {
	if !hasHan(s) {
		return s
	}
	for _, p := range stopPhrases {
		s = strings.ReplaceAll(s, p, " ")
	}
	return s
}

// queryTerms returns the units coverage is measured in: Chinese bigrams (a lone
// character counts alone) and English content words.
func queryTerms(text string, _ []string, lang string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	var run []rune
	flush := func() {
		switch {
		case len(run) == 1:
			add(string(run))
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				add(string(run[i : i+2]))
			}
		}
		run = run[:0]
	}
	var word []rune
	flushWord := func() {
		w := strings.ToLower(string(word))
		word = word[:0]
		if len(w) < 2 || enStop[w] {
			return
		}
		add(stem(w))
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			run = append(run, r)
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flush()
			word = append(word, r)
		default:
			flush()
			flushWord()
		}
	}
	flush()
	flushWord()
	_ = lang
	return out
}

// stem cuts common English endings so "dismissed" and "dismiss" meet.
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

// coverage is the share of terms found in text (case-insensitive), 0..1.
func coverage(terms []string, text string) float64 {
	if len(terms) == 0 {
		return 0
	}
	low := strings.ToLower(text)
	n := 0
	for _, t := range terms {
		if strings.Contains(low, t) {
			n++
		}
	}
	return float64(n) / float64(len(terms))
}

var (
	zhArticle = regexp.MustCompile(`^[\s的之]*第\s*([零〇一二两三四五六七八九十百千0-9]+)\s*条`)
	enArticle = regexp.MustCompile(`(?i)\b(?:article|art\.?)\s*(\d+)`)
	bareZh    = regexp.MustCompile(`第\s*([零〇一二两三四五六七八九十百千0-9]+)\s*条`)
)

// FindRefs returns the exact article references in a text: a law name followed by
// 第N条 (Chinese or Arabic numerals), or "Article N" next to an English law name, in
// either order. A reference to an article the library does not have is still returned
// (with the law's full title) so the engine can say that it does not exist. A bare
// 第N条 without a law name is returned with an empty Law.
func (ix *Index) FindRefs(text string) []law.Ref {
	var out []law.Ref
	names := ix.lib.FindNames(text)
	used := map[int]bool{}
	for _, m := range names {
		if sm := zhArticle.FindStringSubmatchIndex(text[m.End:]); sm != nil {
			if n, err := law.ParseNumeral(text[m.End+sm[2] : m.End+sm[3]]); err == nil {
				out = append(out, law.Ref{Law: m.Title, Article: n})
				used[m.End+sm[0]] = true
				used[m.End+sm[2]] = true
			}
		}
	}
	for _, sm := range enArticle.FindAllStringSubmatchIndex(text, -1) {
		n, err := law.ParseNumeral(text[sm[2]:sm[3]])
		if err != nil {
			continue
		}
		best, dist := "", 1<<30
		for _, m := range names {
			d := sm[0] - m.End
			if m.Start >= sm[1] {
				d = m.Start - sm[1]
			}
			if d >= 0 && d < 40 && d < dist {
				best, dist = m.Title, d
			}
		}
		out = append(out, law.Ref{Law: best, Article: n}) // best is "" when no law is named
	}
	if len(out) == 0 {
		for _, sm := range bareZh.FindAllStringSubmatchIndex(text, -1) {
			if n, err := law.ParseNumeral(text[sm[2]:sm[3]]); err == nil {
				out = append(out, law.Ref{Article: n})
			}
		}
	}
	return out
}
