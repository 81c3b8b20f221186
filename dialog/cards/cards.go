// Package cards holds Fayun's explainer cards: the project's own plain-language answers
// to the questions small businesses ask most, in Chinese and English, each tied to the
// statute articles it rests on. The cards are JSON files embedded in the binary.
package cards

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed data/*.json
var dataFiles embed.FS

// Risk says how much is at stake in a card's situation.
type Risk string

// The risk levels.
const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// Topics are the subject areas of cards. They are the same codes as lawyers'
// specialties, so a topic names the kind of lawyer to hand a matter to.
var Topics = []string{
	"labor", "contract", "company", "ip", "consumer", "tax", "administrative", "debt",
	"criminal", "data",
}

// Citation names one article of one law by its full official title.
type Citation struct {
	Law     string `json:"law"`     // full title, e.g. 中华人民共和国劳动合同法
	Article int    `json:"article"` // article number, 1-based
}

// Card is one explainer: a common question with plain answers in both languages.
type Card struct {
	ID          string     `json:"id"`           // stable, kebab-case, unique
	Topic       string     `json:"topic"`        // one of Topics
	Risk        Risk       `json:"risk"`         // low, medium or high
	OfferLawyer bool       `json:"offer_lawyer"` // suggest a human lawyer with this answer
	QZh         string     `json:"q_zh"`         // the question in everyday Chinese
	QEn         string     `json:"q_en"`         // the question in everyday English
	VariantsZh  []string   `json:"variants_zh"`  // other ways people ask it (colloquial)
	VariantsEn  []string   `json:"variants_en"`
	AnswerZh    string     `json:"answer_zh"` // short plain answer
	AnswerEn    string     `json:"answer_en"`
	NextZh      string     `json:"next_zh"` // what to do next
	NextEn      string     `json:"next_en"`
	Keywords    []string   `json:"keywords"` // extra search terms, either language
	Cites       []Citation `json:"cites"`    // the articles the answer rests on
}

var (
	loadOnce sync.Once
	loaded   []Card
	loadErr  error
)

// All returns every embedded card, sorted by ID, after checking each one. The slice is
// shared: callers must not modify it.
func All() ([]Card, error) {
	loadOnce.Do(func() { loaded, loadErr = parse(dataFiles) })
	return loaded, loadErr
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func parse(fsys fs.FS) ([]Card, error) {
	names, err := fs.Glob(fsys, "data/*.json")
	if err != nil {
		return nil, fmt.Errorf("cards: list files: %w", err)
	}
	var all []Card
	seen := map[string]string{}
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("cards: read %s: %w", name, err)
		}
		var cs []Card
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cs); err != nil {
			return nil, fmt.Errorf("cards: %s: %w", name, err)
		}
		for _, c := range cs {
			if err := c.Check(); err != nil {
				return nil, fmt.Errorf("cards: %s: %w", name, err)
			}
			if other, dup := seen[c.ID]; dup {
				return nil, fmt.Errorf("cards: %s: id %q already used in %s", name, c.ID, other)
			}
			seen[c.ID] = name
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, nil
}

// Check reports the first problem with c's own fields. Whether its citations exist in
// the statute library is checked by the library, which knows the articles.
func (c Card) Check() error {
	if !idPattern.MatchString(c.ID) {
		return fmt.Errorf("card %q: id must be kebab-case", c.ID)
	}
	known := false
	for _, t := range Topics {
		known = known || t == c.Topic
	}
	if !known {
		return fmt.Errorf("card %s: unknown topic %q", c.ID, c.Topic)
	}
	switch c.Risk {
	case RiskLow, RiskMedium, RiskHigh:
	default:
		return fmt.Errorf("card %s: risk must be low, medium or high, not %q", c.ID, c.Risk)
	}
	for field, v := range map[string]string{
		"q_zh": c.QZh, "q_en": c.QEn, "answer_zh": c.AnswerZh, "answer_en": c.AnswerEn,
		"next_zh": c.NextZh, "next_en": c.NextEn,
	} {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("card %s: %s is empty", c.ID, field)
		}
	}
	if len(c.VariantsZh) < 2 || len(c.VariantsEn) < 1 {
		return fmt.Errorf("card %s: needs at least 2 Chinese and 1 English variants", c.ID)
	}
	if len(c.Cites) == 0 {
		return fmt.Errorf("card %s: cites no article", c.ID)
	}
	for _, ct := range c.Cites {
		if ct.Law == "" || ct.Article <= 0 {
			return fmt.Errorf("card %s: bad citation %+v", c.ID, ct)
		}
	}
	return nil
}
