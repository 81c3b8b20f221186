// Package retrieval finds the explainer cards and statute articles that answer a
// question: full-text search with bleve (CJK bigrams for Chinese, the English analyzer
// for English) held in memory, a colloquial and cross-lingual synonym layer, and exact
// lookup of references such as 劳动合同法第八十二条 or Civil Code Article 577.
package retrieval

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"fayun/dialog/cards"
	"fayun/dialog/law"
)

// Index searches the cards and articles of one library. Build it once at start; it is
// safe for concurrent use.
type Index struct {
	lib      *law.Library
	cards    map[string]*cards.Card
	cardIdx  bleve.Index
	artIdx   bleve.Index
	citedBy  map[law.Ref][]string // article → ids of the cards citing it
	BuildDur time.Duration        // how long Build took
}

// CardHit is a card found for a query.
type CardHit struct {
	Card     *cards.Card
	Score    float64 // bleve score, comparable only within one query
	Coverage float64 // share of the query's terms found in the card's question side, 0..1
}

// ArticleHit is an article found for a query.
type ArticleHit struct {
	Ref      law.Ref
	Score    float64
	Coverage float64 // share of the query's terms found in the article, 0..1
}

// Result is what Search found, best first in each list.
type Result struct {
	Cards    []CardHit
	Articles []ArticleHit
	Refs     []law.Ref // exact references written in the query, in order
	Laws     []string  // full titles of the laws the query names
	Terms    []string  // legal terms added by the synonym layer
}

// Build indexes every card and every article of lib in memory.
func Build(lib *law.Library, cs []cards.Card) (*Index, error) {
	start := time.Now()
	ix := &Index{lib: lib, cards: map[string]*cards.Card{}, citedBy: map[law.Ref][]string{}}
	var err error
	if ix.cardIdx, err = newMemIndex(cardMapping()); err != nil {
		return nil, fmt.Errorf("retrieval: card index: %w", err)
	}
	if ix.artIdx, err = newMemIndex(articleMapping()); err != nil {
		return nil, fmt.Errorf("retrieval: article index: %w", err)
	}
	b := ix.cardIdx.NewBatch()
	for i := range cs {
		c := &cs[i]
		ix.cards[c.ID] = c
		for _, ct := range c.Cites {
			r := law.Ref{Law: ct.Law, Article: ct.Article}
			ix.citedBy[r] = append(ix.citedBy[r], c.ID)
		}
		if err := b.Index(c.ID, cardDoc(c)); err != nil {
			return nil, fmt.Errorf("retrieval: index card %s: %w", c.ID, err)
		}
	}
	if err := ix.cardIdx.Batch(b); err != nil {
		return nil, fmt.Errorf("retrieval: index cards: %w", err)
	}
	b = ix.artIdx.NewBatch()
	for _, l := range lib.Laws() {
		short := strings.TrimPrefix(l.Title, "中华人民共和国")
		for _, a := range l.Articles {
			doc := map[string]any{
				"text": a.Text(),
				"head": short + " " + strings.Join(a.Path, " "),
				"law":  l.Title,
			}
			if err := b.Index(refID(law.Ref{Law: l.Title, Article: a.Number}), doc); err != nil {
				return nil, fmt.Errorf("retrieval: index article: %w", err)
			}
		}
	}
	if err := ix.artIdx.Batch(b); err != nil {
		return nil, fmt.Errorf("retrieval: index articles: %w", err)
	}
	ix.BuildDur = time.Since(start)
	return ix, nil
}

// Close releases the indexes.
func (ix *Index) Close() error {
	err1 := ix.cardIdx.Close()
	err2 := ix.artIdx.Close()
	if err1 != nil {
		return fmt.Errorf("retrieval: close: %w", err1)
	}
	if err2 != nil {
		return fmt.Errorf("retrieval: close: %w", err2)
	}
	return nil
}

// Library returns the library the index was built from.
func (ix *Index) Library() *law.Library { return ix.lib }

// Card returns the card with this id.
func (ix *Index) Card(id string) (*cards.Card, bool) {
	c, ok := ix.cards[id]
	return c, ok
}

// CardsCiting returns the ids of the cards that cite an article.
func (ix *Index) CardsCiting(r law.Ref) []string { return ix.citedBy[r] }

// newMemIndex opens a scorch index that lives only in memory (an empty path), which
// builds far faster than bleve's default in-memory index (upsidedown on a treap).
func newMemIndex(m mapping.IndexMapping) (bleve.Index, error) {
	return bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
}

func refID(r law.Ref) string { return fmt.Sprintf("%s#%d", r.Law, r.Article) }

func parseRefID(id string) (law.Ref, bool) {
	i := strings.LastIndexByte(id, '#')
	if i < 0 {
		return law.Ref{}, false
	}
	var n int
	if _, err := fmt.Sscan(id[i+1:], &n); err != nil {
		return law.Ref{}, false
	}
	return law.Ref{Law: id[:i], Article: n}, true
}

func textField(analyzer string) *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = analyzer
	f.Store = false
	f.IncludeInAll = false
	f.IncludeTermVectors = false
	f.DocValues = false
	return f
}

func cardMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("q_zh", textField(cjk.AnalyzerName))
	doc.AddFieldMappingsAt("a_zh", textField(cjk.AnalyzerName))
	doc.AddFieldMappingsAt("q_en", textField(en.AnalyzerName))
	doc.AddFieldMappingsAt("a_en", textField(en.AnalyzerName))
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = cjk.AnalyzerName
	return m
}

func articleMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("text", textField(cjk.AnalyzerName))
	doc.AddFieldMappingsAt("head", textField(cjk.AnalyzerName))
	doc.AddFieldMappingsAt("law", textField(keyword.Name))
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = cjk.AnalyzerName
	return m
}

func cardDoc(c *cards.Card) map[string]any {
	var kwZh, kwEn []string
	for _, k := range c.Keywords {
		if hasHan(k) {
			kwZh = append(kwZh, k)
		} else {
			kwEn = append(kwEn, k)
		}
	}
	join := func(first string, rest ...[]string) string {
		parts := []string{first}
		for _, r := range rest {
			parts = append(parts, r...)
		}
		return strings.Join(parts, "\n")
	}
	return map[string]any{
		"q_zh": join(c.QZh, c.VariantsZh, kwZh),
		"a_zh": c.AnswerZh,
		"q_en": join(c.QEn, c.VariantsEn, kwEn),
		"a_en": c.AnswerEn,
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Search finds cards and articles for a question in lang ("zh" or "en"; anything else
// is detected from the text), up to k of each.
func (ix *Index) Search(ctx context.Context, question, lang string, k int) (*Result, error) {
	q := Normalize(question)
	if lang != "zh" && lang != "en" {
		lang = DetectLang(q)
	}
	res := &Result{Refs: ix.FindRefs(q), Terms: expand(strings.ToLower(q))}
	for _, m := range ix.lib.FindNames(q) {
		res.Laws = appendUnique(res.Laws, m.Title)
	}
	text := stripStopPhrases(strings.ToLower(q))
	if strings.TrimSpace(text) == "" && len(res.Terms) == 0 {
		return res, nil
	}
	terms := strings.Join(res.Terms, " ")

	var cardQ, artQ []query.Query
	if lang == "en" {
		cardQ = append(cardQ, match(text, "q_en", 2), match(text, "a_en", 0.5))
		cardQ = append(cardQ, match(terms, "q_zh", 0.4), match(terms, "a_zh", 0.2))
		artQ = append(artQ, match(terms, "text", 1))
	} else {
		cardQ = append(cardQ, match(text, "q_zh", 2), match(text, "a_zh", 0.5))
		cardQ = append(cardQ, match(terms, "q_zh", 0.8), match(terms, "a_zh", 0.3))
		artQ = append(artQ, match(text, "text", 1), match(terms, "text", 1.2),
			match(text, "head", 0.3))
	}
	for _, t := range res.Laws {
		tq := bleve.NewTermQuery(t)
		tq.SetField("law")
		tq.SetBoost(3)
		artQ = append(artQ, tq)
	}

	cardHits, err := run(ctx, ix.cardIdx, cardQ, k)
	if err != nil {
		return nil, err
	}
	qTerms := queryTerms(text, res.Terms, lang)
	for _, h := range cardHits {
		c := ix.cards[h.id]
		side := c.QZh + " " + strings.Join(c.VariantsZh, " ") + " " + strings.Join(c.Keywords, " ")
		if lang == "en" {
			side = strings.ToLower(c.QEn + " " + strings.Join(c.VariantsEn, " ") + " " +
				strings.Join(c.Keywords, " "))
		}
		res.Cards = append(res.Cards, CardHit{Card: c, Score: h.score,
			Coverage: coverage(qTerms, side)})
	}
	artHits, err := run(ctx, ix.artIdx, artQ, k)
	if err != nil {
		return nil, err
	}
	for _, h := range artHits {
		r, ok := parseRefID(h.id)
		if !ok {
			continue
		}
		a, _ := ix.lib.Article(r.Law, r.Article)
		res.Articles = append(res.Articles, ArticleHit{Ref: r, Score: h.score,
			Coverage: coverage(qTerms, a.Text())})
	}
	return res, nil
}

type hit struct {
	id    string
	score float64
}

func run(ctx context.Context, idx bleve.Index, qs []query.Query, k int) ([]hit, error) {
	var live []query.Query
	for _, q := range qs {
		if q != nil {
			live = append(live, q)
		}
	}
	if len(live) == 0 || k <= 0 {
		return nil, nil
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(live...), k, 0, false)
	sr, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieval: search: %w", err)
	}
	out := make([]hit, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		out = append(out, hit{id: h.ID, score: h.Score})
	}
	return out, nil
}

func match(text, field string, boost float64) query.Query {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	m := bleve.NewMatchQuery(text)
	m.SetField(field)
	m.SetBoost(boost)
	return m
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
