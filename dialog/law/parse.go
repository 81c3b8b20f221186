// Package law owns Fayun's statute library: the parser of the one-file-per-law Markdown
// corpus, its import into PostgreSQL, the in-memory library of laws and articles the
// answer engines consult, the names people use for each law, and the loading and
// checking of the explainer cards against the imported articles.
package law

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Levels of the structure headings, from the outermost. The level of a heading is read
// from its unit word, never from its number of '#' marks.
const (
	LevelBook    = iota // 编
	LevelSubBook        // 分编
	LevelChapter        // 章
	LevelSection        // 节
	numLevels
)

// Law is one parsed statute.
type Law struct {
	Title    string    // full official title, e.g. 中华人民共和国劳动合同法
	File     string    // base name of the source file, e.g. labor-contract-law.md
	History  []string  // header lines: enactment, amendments, entry into force
	Articles []Article // in order, numbered 1..N
	Hash     string    // hex SHA-256 of the source bytes
}

// Article is one 条 of a law.
type Article struct {
	Number     int      // 1-based
	Path       []string // enclosing headings, outermost first: 编, 分编, 章, 节
	Paragraphs []string // 款 and 项 in order; items begin with （一）, （二）…
}

// Text returns the article's paragraphs joined by newlines.
func (a Article) Text() string { return strings.Join(a.Paragraphs, "\n") }

// Label returns the article's Chinese label, e.g. 第八十二条.
func (a Article) Label() string { return "第" + FormatNumeral(a.Number) + "条" }

// ParseError is a malformed source file: its name, the 1-based line and what is wrong.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

const numeralClass = `[零〇一二三四五六七八九十百千]+`

var (
	articleLine = regexp.MustCompile(`^第(` + numeralClass + `)条 (.*)$`)
	headingLine = regexp.MustCompile(`^(#+)\s*(.*)$`)
	unitHeading = regexp.MustCompile(`^第(` + numeralClass + `)(分编|编|章|节)(?:[\s\p{Zs}]+(.*))?$`)
	dateLine    = regexp.MustCompile(`^\d{4}年\d{1,2}月\d{1,2}日`)
	spaceRun    = regexp.MustCompile(`[\s\p{Zs}]+`)
)

const infoEnd = "<!-- INFO END -->"

// clean trims the spaces a line may carry: any Unicode space (U+3000, U+2002…),
// zero-width spaces and byte-order marks.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
	})
}

// Parse reads one law from its Markdown source. name is used in errors and kept as
// File. Any structural problem returns a *ParseError and no law.
func Parse(name string, src []byte) (*Law, error) {
	p := parser{law: &Law{File: name}}
	sum := sha256.Sum256(src)
	p.law.Hash = hex.EncodeToString(sum[:])
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		p.line++
		if err := p.feed(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{File: name, Line: p.line, Msg: err.Error()}
	}
	switch {
	case p.law.Title == "":
		return nil, p.fail("empty file: no '# title' line")
	case p.inHeader:
		return nil, p.fail("file ends inside the header (no " + infoEnd + ")")
	case len(p.law.Articles) == 0:
		return nil, p.fail("no articles found")
	}
	return p.law, nil
}

type parser struct {
	law      *Law
	line     int
	inHeader bool
	path     [numLevels]string
	open     bool // the last article takes further paragraphs
}

func (p *parser) fail(format string, args ...any) error {
	return &ParseError{File: p.law.File, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) feed(raw string) error {
	s := clean(raw)
	if p.line == 1 {
		m := headingLine.FindStringSubmatch(s)
		if m == nil || m[1] != "#" || clean(m[2]) == "" {
			return p.fail("first line must be '# <full title>', found %q", short(s))
		}
		p.law.Title = clean(m[2])
		p.inHeader = true
		return nil
	}
	if s == "" {
		return nil
	}
	if p.inHeader {
		return p.header(s)
	}
	if m := headingLine.FindStringSubmatch(s); m != nil {
		return p.heading(m[1], clean(m[2]))
	}
	if m := articleLine.FindStringSubmatch(s); m != nil {
		return p.article(m[1], clean(m[2]))
	}
	if !p.open {
		return p.fail("text outside any article: %q", short(s))
	}
	last := &p.law.Articles[len(p.law.Articles)-1]
	last.Paragraphs = append(last.Paragraphs, s)
	return nil
}

// header handles a line of a header block: history lines, the book name of a code
// split into books, and the closing marker.
func (p *parser) header(s string) error {
	if s == infoEnd {
		p.inHeader = false
		return nil
	}
	if m := headingLine.FindStringSubmatch(s); m != nil {
		t := clean(m[2])
		if m[1] != "#" || t == "" {
			return p.fail("heading %q inside the header", short(s))
		}
		if t != p.law.Title {
			p.setLevel(LevelBook, t) // 民法典: "# 物权编" after the title starts a book
		}
		return nil
	}
	if !dateLine.MatchString(s) {
		return p.fail("header line must start with a date (YYYY年M月D日): %q", short(s))
	}
	if len(p.law.Articles) == 0 {
		p.law.History = append(p.law.History, s)
	}
	return nil
}

func (p *parser) heading(marks, t string) error {
	if t == "" {
		return nil // 民法典 附则 has an empty "##"
	}
	if marks == "#" {
		if t != p.law.Title {
			return p.fail("level-1 heading %q differs from the title %q", short(t), p.law.Title)
		}
		p.inHeader = true // another header block of a code joined from several files
		p.open = false
		return nil
	}
	m := unitHeading.FindStringSubmatch(t)
	if m == nil {
		return p.fail("heading %q does not start with 第N编/分编/章/节", short(t))
	}
	if _, err := ParseNumeral(m[1]); err != nil {
		return p.fail("heading %q: %v", short(t), err)
	}
	level := map[string]int{"编": LevelBook, "分编": LevelSubBook, "章": LevelChapter,
		"节": LevelSection}[m[2]]
	p.setLevel(level, spaceRun.ReplaceAllString(t, " "))
	p.open = false
	return nil
}

func (p *parser) setLevel(level int, title string) {
	p.path[level] = title
	for i := level + 1; i < numLevels; i++ {
		p.path[i] = ""
	}
}

func (p *parser) article(num, first string) error {
	n, err := ParseNumeral(num)
	if err != nil {
		return p.fail("article number %q: %v", num, err)
	}
	if want := len(p.law.Articles) + 1; n != want {
		return p.fail("article 第%s条 (%d) out of sequence: expected 第%s条 (%d)",
			num, n, FormatNumeral(want), want)
	}
	if first == "" {
		return p.fail("article 第%s条 has no text", num)
	}
	var path []string
	for _, h := range p.path {
		if h != "" {
			path = append(path, h)
		}
	}
	p.law.Articles = append(p.law.Articles, Article{Number: n, Path: path,
		Paragraphs: []string{first}})
	p.open = true
	return nil
}

func short(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
