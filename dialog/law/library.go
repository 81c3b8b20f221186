package law

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Library is the imported statute library held in memory: every law with its
// articles, and the names people use for each law. It is read-only once loaded and
// safe for concurrent use.
type Library struct {
	laws    []*Law
	byTitle map[string]*Law
	names   []lawName // every known name of every law, longest first
}

type lawName struct {
	name  string // lower-case
	title string
}

// Load reads every law and article from the database.
func Load(ctx context.Context, pool *pgxpool.Pool) (*Library, error) {
	rows, err := pool.Query(ctx, `SELECT l.title, l.file_name, l.history, l.content_hash,
		a.number, a.path, a.paragraphs
		FROM laws l JOIN articles a ON a.law_id = l.id ORDER BY l.title, a.number`)
	if err != nil {
		return nil, fmt.Errorf("load library: %w", err)
	}
	defer rows.Close()
	var laws []*Law
	var cur *Law
	for rows.Next() {
		var title, file, hash string
		var history []string
		var a Article
		if err := rows.Scan(&title, &file, &history, &hash, &a.Number, &a.Path,
			&a.Paragraphs); err != nil {
			return nil, fmt.Errorf("load library: %w", err)
		}
		if cur == nil || cur.Title != title {
			cur = &Law{Title: title, File: file, History: history, Hash: hash}
			laws = append(laws, cur)
		}
		cur.Articles = append(cur.Articles, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load library: %w", err)
	}
	return NewLibrary(laws), nil
}

// NewLibrary builds a library from parsed laws (Load does this from the database).
func NewLibrary(laws []*Law) *Library {
	lib := &Library{laws: laws, byTitle: map[string]*Law{}}
	for _, l := range laws {
		lib.byTitle[l.Title] = l
		for _, n := range namesOf(l) {
			lib.names = append(lib.names, lawName{name: normalizeName(n), title: l.Title})
		}
	}
	sort.SliceStable(lib.names, func(i, j int) bool {
		return len(lib.names[i].name) > len(lib.names[j].name)
	})
	return lib
}

// Laws returns every law, sorted by title. Callers must not modify them.
func (lib *Library) Laws() []*Law { return lib.laws }

// Law returns the law with this full title.
func (lib *Library) Law(title string) (*Law, bool) {
	l, ok := lib.byTitle[title]
	return l, ok
}

// ArticleCount returns the number of articles in the library.
func (lib *Library) ArticleCount() int {
	n := 0
	for _, l := range lib.laws {
		n += len(l.Articles)
	}
	return n
}

// Article returns article n of the law with this full title.
func (lib *Library) Article(title string, n int) (Article, bool) {
	l, ok := lib.byTitle[title]
	if !ok || n < 1 || n > len(l.Articles) || l.Articles[n-1].Number != n {
		return Article{}, false
	}
	return l.Articles[n-1], true
}

// Resolve returns the full title of the law a name refers to: the full title, the
// title without 中华人民共和国, a common short form (劳动合同法, 个保法) or an
// English name (Civil Code, Labor Contract Law). Case and surrounding spaces do not
// matter.
func (lib *Library) Resolve(name string) (string, bool) {
	n := normalizeName(strings.TrimSpace(name))
	for _, ln := range lib.names {
		if ln.name == n {
			return ln.title, true
		}
	}
	return "", false
}

// NameMatch is a law name found inside a text.
type NameMatch struct {
	Title      string // full title of the law
	Start, End int    // byte offsets of the name in the text
}

// FindNames returns the law names mentioned in text, longest match first at each
// position, without overlaps, in order of appearance.
func (lib *Library) FindNames(text string) []NameMatch {
	low := normalizeName(text)
	taken := make([]bool, len(low)+1)
	var out []NameMatch
	for _, ln := range lib.names {
		from := 0
		for {
			i := strings.Index(low[from:], ln.name)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(ln.name)
			from = end
			if taken[start] || taken[end-1] || !wordBounded(low, start, end) {
				continue
			}
			for k := start; k < end; k++ {
				taken[k] = true
			}
			out = append(out, NameMatch{Title: ln.title, Start: start, End: end})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// wordBounded reports whether an ASCII name sits between non-letters.
func wordBounded(s string, start, end int) bool {
	isLetter := func(b byte) bool { return b >= 'a' && b <= 'z' }
	if !isLetter(s[start]) {
		return true
	}
	return (start == 0 || !isLetter(s[start-1])) && (end == len(s) || !isLetter(s[end]))
}

// Ref names one article of one law by the law's full title.
type Ref struct {
	Law     string `json:"law"`
	Article int    `json:"article"`
}
