// Package answer owns Fayun's answer engines' common contract (Session, Reply, Event,
// the Answerer interface) and the embedded engine, which answers without an LLM: it
// composes a plain answer, what to do next and the citations from the explainer cards
// and statute articles that retrieval found, never citing an article it did not
// retrieve, and says so when it does not know.
package answer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"fayun/dialog/cards"
	"fayun/dialog/handoff"
	"fayun/dialog/law"
	"fayun/dialog/retrieval"
)

// MaxQuestionRunes is the longest question accepted, in characters.
const MaxQuestionRunes = 2000

// Errors for questions that cannot be answered at all. Callers branch on them to show
// the user a clear message instead of an answer.
var (
	ErrEmptyQuestion = errors.New("answer: the question is empty")
	ErrTooLong       = fmt.Errorf("answer: the question is longer than %d characters",
		MaxQuestionRunes)
)

// Citation is one article an answer rests on.
type Citation struct {
	Law     string `json:"law"`            // full official title
	Article int    `json:"article"`        // article number
	Text    string `json:"text,omitempty"` // the article's text, for showing on request
}

// Label returns the citation as people read it: 《劳动合同法》第八十二条.
func (c Citation) Label() string {
	return "《" + strings.TrimPrefix(c.Law, "中华人民共和国") + "》第" + law.FormatNumeral(c.Article) + "条"
}

// Reply is a complete answer to one question.
type Reply struct {
	Answer        string         `json:"answer"`    // the whole answer, sentences joined
	Sentences     []string       `json:"sentences"` // the answer split for speaking
	Citations     []Citation     `json:"citations"` // verified articles, most relevant first
	Handoff       bool           `json:"handoff"`
	HandoffReason handoff.Reason `json:"handoff_reason"`
	Topic         string         `json:"topic"`    // lawyer specialty code; may be empty
	Known         bool           `json:"known"`    // false when no grounded answer was found
	CardIDs       []string       `json:"card_ids"` // explainer cards used
	Lang          string         `json:"lang"`     // "zh" or "en"
	Engine        string         `json:"engine"`   // "embedded", "llm" or "llm_fallback"
}

// Event is one piece of a streamed reply: a sentence ready to be spoken, or a
// citation ready to be shown. Exactly one field is set.
type Event struct {
	Sentence string
	Citation *Citation
}

// Answerer is what the live call, the console and the CLI need of an answer engine.
// Stream calls emit (when not nil) for each sentence as soon as it is ready, then for
// each citation, and returns the full reply; an error from emit stops the answer and
// is returned. Both methods record the turn in the session.
type Answerer interface {
	Answer(ctx context.Context, s *Session, question, lang string) (*Reply, error)
	Stream(ctx context.Context, s *Session, question, lang string,
		emit func(Event) error) (*Reply, error)
}

// Engine is the embedded answer engine. It is safe for concurrent use.
type Engine struct {
	ix     *retrieval.Index
	policy handoff.Policy
	log    *slog.Logger
}

// New returns an embedded engine over a built index.
func New(ix *retrieval.Index, policy handoff.Policy, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{ix: ix, policy: policy, log: log}
}

// Library returns the statute library the engine cites from.
func (e *Engine) Library() *law.Library { return e.ix.Library() }

// Index returns the retrieval index.
func (e *Engine) Index() *retrieval.Index { return e.ix }

// Policy returns the handoff policy.
func (e *Engine) Policy() handoff.Policy { return e.policy }

// Answer answers one question and records the turn in s (which may be nil).
func (e *Engine) Answer(ctx context.Context, s *Session, question, lang string) (*Reply, error) {
	return e.Stream(ctx, s, question, lang, nil)
}

// Stream answers one question, emitting its sentences and then its citations.
func (e *Engine) Stream(ctx context.Context, s *Session, question, lang string,
	emit func(Event) error) (*Reply, error) {
	g, err := e.Ground(ctx, s, question, lang)
	if err != nil {
		return nil, err
	}
	r := e.Compose(g)
	s.Record(g.Question, g.Lang, r)
	if err := Emit(r, emit); err != nil {
		return r, err
	}
	return r, nil
}

// Emit sends a finished reply's sentences and citations to emit, in that order.
func Emit(r *Reply, emit func(Event) error) error {
	if emit == nil {
		return nil
	}
	for _, sn := range r.Sentences {
		if err := emit(Event{Sentence: sn}); err != nil {
			return err
		}
	}
	for i := range r.Citations {
		c := r.Citations[i]
		if err := emit(Event{Citation: &c}); err != nil {
			return err
		}
	}
	return nil
}

// CheckQuestion trims a question and rejects an empty or overlong one.
func CheckQuestion(q string) (string, error) {
	q = strings.TrimFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' })
	if q == "" || retrieval.Normalize(q) == "" {
		return "", ErrEmptyQuestion
	}
	if utf8.RuneCountInString(q) > MaxQuestionRunes {
		return "", ErrTooLong
	}
	if !utf8.ValidString(q) {
		q = strings.ToValidUTF8(q, " ")
	}
	return q, nil
}

// Grounding is everything retrieval found for one question in its session: the
// material both engines answer from.
type Grounding struct {
	Question string
	Lang     string
	Card     *cards.Card         // the card judged to answer the question, if any
	Cards    []retrieval.CardHit // all candidate cards, best first
	Articles []Citation          // retrieved articles, most relevant first (with text)
	Refs     []Citation          // articles the question names exactly and that exist
	Missing  []law.Ref           // articles the question names that do not exist
	// NoLaw is set when the question names an article number (第三十九条) but no law,
	// and the session gives none either: the engine asks which law is meant.
	NoLaw    bool
	Topic    string
	Decision handoff.Decision
	FollowUp bool
}

// Thresholds of the card choice, as shares of the question's terms found in a card's
// question side.
const (
	cardCoverage  = 0.30 // a card at least this covered answers the question
	articleCover  = 0.25 // an article at least this covered may be cited without a card
	searchDepth   = 8    // hits taken from each index
	maxCitations  = 5
	extraArticles = 1 // retrieved articles added after a card's own citations
)

// Ground retrieves the cards and articles for a question in the context of s and
// applies the handoff policy. It does not record the turn.
func (e *Engine) Ground(ctx context.Context, s *Session, question, lang string) (
	*Grounding, error) {
	q, err := CheckQuestion(question)
	if err != nil {
		return nil, err
	}
	// The question is searched in the language it is written in and answered in lang.
	qLang := retrieval.DetectLang(retrieval.Normalize(q))
	if lang != "zh" && lang != "en" {
		lang = qLang
	}
	prev, failures := s.context()
	g := &Grounding{Question: q, Lang: lang}

	res, err := e.ix.Search(ctx, q, qLang, searchDepth)
	if err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	if prev != nil && isFollowUp(q) {
		g.FollowUp = true
		if bestCoverage(res) < cardCoverage {
			res2, err := e.ix.Search(ctx, q+" "+prev.Question, qLang, searchDepth)
			if err != nil {
				return nil, fmt.Errorf("answer: %w", err)
			}
			res = merge(res, res2)
		}
	}
	e.resolveRefs(g, res, prev)
	g.Cards = rankCards(res.Cards, prev)
	// The question names articles itself: answer exactly that, never a fuzzy match.
	exact := len(g.Refs) > 0 || len(g.Missing) > 0 || g.NoLaw
	if len(g.Cards) > 0 && g.Cards[0].Coverage >= cardCoverage && !exact {
		g.Card = g.Cards[0].Card
	}
	for _, h := range res.Articles {
		if exact {
			break
		}
		if a, ok := e.Library().Article(h.Ref.Law, h.Ref.Article); ok &&
			(h.Coverage >= articleCover || g.Card != nil) {
			g.Articles = append(g.Articles, Citation{Law: h.Ref.Law, Article: a.Number,
				Text: a.Text()})
		}
	}

	switch {
	case g.Card != nil:
		g.Topic = g.Card.Topic
	case len(g.Refs) > 0:
		g.Topic = e.topicOf(g.Refs[0].Law)
	case len(g.Articles) > 0:
		g.Topic = e.topicOf(g.Articles[0].Law)
	case prev != nil && g.FollowUp:
		g.Topic = prev.Reply.Topic
	}
	known := g.Card != nil || len(g.Refs) > 0 || len(g.Articles) > 0
	if !known {
		failures++
	}
	g.Decision = e.policy.Decide(handoff.Input{Question: q, Topic: g.Topic,
		Failures: failures})
	if g.Decision.Topic != "" {
		g.Topic = g.Decision.Topic
	}
	return g, nil
}

func (e *Engine) topicOf(title string) string {
	if l, ok := e.Library().Law(title); ok {
		return l.Topic()
	}
	return ""
}

// resolveRefs turns the exact references of the question into citations, taking the
// law of a bare 第N条 from the question, else from the previous turn.
func (e *Engine) resolveRefs(g *Grounding, res *retrieval.Result, prev *Turn) {
	for _, r := range res.Refs {
		if r.Law == "" {
			switch {
			case len(res.Laws) == 1:
				r.Law = res.Laws[0]
			case prev != nil && len(prev.Reply.Citations) > 0:
				r.Law = prev.Reply.Citations[0].Law
			default:
				g.NoLaw = true
				continue
			}
		}
		if a, ok := e.Library().Article(r.Law, r.Article); ok {
			g.Refs = append(g.Refs, Citation{Law: r.Law, Article: r.Article, Text: a.Text()})
		} else {
			g.Missing = append(g.Missing, r)
		}
	}
}

func bestCoverage(r *retrieval.Result) float64 {
	if len(r.Cards) == 0 {
		return 0
	}
	best := 0.0
	for _, c := range r.Cards {
		best = max(best, c.Coverage)
	}
	return best
}

// merge keeps the hits of a, then adds those of b it lacks.
func merge(a, b *retrieval.Result) *retrieval.Result {
	out := *a
	seen := map[string]bool{}
	for _, c := range a.Cards {
		seen[c.Card.ID] = true
	}
	for _, c := range b.Cards {
		if !seen[c.Card.ID] {
			out.Cards = append(out.Cards, c)
		}
	}
	seenA := map[law.Ref]bool{}
	for _, h := range a.Articles {
		seenA[h.Ref] = true
	}
	for _, h := range b.Articles {
		if !seenA[h.Ref] {
			out.Articles = append(out.Articles, h)
		}
	}
	return &out
}

// rankCards orders candidate cards by a blend of coverage and relative bleve score,
// favouring the previous turn's topic a little.
func rankCards(hits []retrieval.CardHit, prev *Turn) []retrieval.CardHit {
	if len(hits) == 0 {
		return nil
	}
	top := 0.0
	for _, h := range hits {
		top = max(top, h.Score)
	}
	score := func(h retrieval.CardHit) float64 {
		v := h.Coverage + 0.5*h.Score/top
		if prev != nil && prev.Reply.Topic == h.Card.Topic {
			v += 0.05
		}
		return v
	}
	out := append([]retrieval.CardHit(nil), hits...)
	for i := 1; i < len(out); i++ { // insertion sort: stable and tiny
		for j := i; j > 0 && score(out[j]) > score(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
