package answer

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"fayun/dialog/handoff"
	"fayun/dialog/law"
)

// Compose writes the embedded engine's reply from a grounding: the plain answer
// first, then what to do next, then the legal basis; or the honest "not found".
func (e *Engine) Compose(g *Grounding) *Reply {
	r := &Reply{Lang: g.Lang, Topic: g.Topic, Engine: "embedded",
		Handoff: g.Decision.Handoff, HandoffReason: g.Decision.Reason}
	w := writer{lang: g.Lang}
	switch g.Decision.Reason {
	case handoff.UserRequest, handoff.Criminal:
		// The user wants a person, or the matter is criminal: the library holds no
		// criminal law, so no statute answer is attempted.
		w.say(HandoffLine(g.Lang, g.Decision.Reason, g.Topic))
		return w.finish(r)
	}
	switch {
	case len(g.Refs) > 0 || len(g.Missing) > 0:
		e.composeMissing(&w, g)
		e.composeRefs(&w, r, g)
	case g.NoLaw:
		w.say(pick(g.Lang, "请告诉我您问的是哪部法律的这一条，例如“劳动合同法第三十九条”。",
			"Which law's article do you mean? For example: \"Labor Contract Law Article 39\"."))
	case g.Card != nil:
		e.composeCard(&w, r, g)
	case len(g.Articles) > 0:
		e.composeArticles(&w, r, g)
	default:
		w.say(pick(g.Lang,
			"抱歉，我在法律库里没有找到能回答这个问题的依据，不想给您不准确的答案。"+
				"您可以换个说法再问，或者说“找真人律师”，我为您转接。",
			"Sorry, I could not find anything in the law library that answers this, and I "+
				"would rather not guess. Please rephrase, or ask for a human lawyer and I will "+
				"connect you."))
	}
	if len(r.Citations) > 0 {
		r.Known = true
		w.say(BasisLine(g.Lang, r.Citations, e.Library()))
	}
	if r.Handoff {
		w.say(HandoffLine(g.Lang, g.Decision.Reason, g.Topic))
	} else if g.Card != nil && g.Card.OfferLawyer {
		w.say(pick(g.Lang, "这类情况风险较高，如需要，我可以为您转接真人律师。",
			"This kind of matter carries real risk; if you like, I can connect you with a "+
				"human lawyer."))
	}
	return w.finish(r)
}

func (e *Engine) composeCard(w *writer, r *Reply, g *Grounding) {
	c := g.Card
	r.CardIDs = []string{c.ID}
	w.say(pick(g.Lang, c.AnswerZh, c.AnswerEn))
	w.say(pick(g.Lang, "建议："+c.NextZh, "What to do next: "+c.NextEn))
	for _, ct := range c.Cites {
		if a, ok := e.Library().Article(ct.Law, ct.Article); ok {
			r.addCitation(Citation{Law: ct.Law, Article: ct.Article, Text: a.Text()})
		} else {
			e.log.Warn("card cites a missing article", "card_id", c.ID, "law", ct.Law,
				"article", ct.Article)
		}
	}
	for i := 0; i < len(g.Articles) && i < extraArticles; i++ {
		r.addCitation(g.Articles[i])
	}
}

func (e *Engine) composeRefs(w *writer, r *Reply, g *Grounding) {
	for i, ref := range g.Refs {
		if i == 2 {
			break
		}
		name := e.lawName(ref.Law, g.Lang)
		label := "第" + law.FormatNumeral(ref.Article) + "条"
		w.say(pick(g.Lang, "《"+name+"》"+label+"规定：",
			fmt.Sprintf("Article %d of the %s reads (in Chinese):", ref.Article, name)))
		w.say(excerpt(ref.Text, 300))
		r.addCitation(ref)
		for _, id := range e.ix.CardsCiting(law.Ref{Law: ref.Law, Article: ref.Article}) {
			if c, ok := e.ix.Card(id); ok {
				w.say(pick(g.Lang, "通俗地说："+c.AnswerZh, "In plain words: "+c.AnswerEn))
				r.CardIDs = append(r.CardIDs, c.ID)
				break
			}
		}
	}
}

func (e *Engine) composeArticles(w *writer, r *Reply, g *Grounding) {
	w.say(pick(g.Lang, "这个问题我没有现成的通俗解答，下面是法律库里最相关的规定。",
		"I have no plain-language explainer for this, but these provisions look most "+
			"relevant."))
	for i, a := range g.Articles {
		if i == 3 {
			break
		}
		r.addCitation(a)
		if i < 2 {
			name := e.lawName(a.Law, g.Lang)
			w.say(pick(g.Lang,
				"《"+name+"》第"+law.FormatNumeral(a.Article)+"条规定："+excerpt(a.Text, 120),
				fmt.Sprintf("Article %d of the %s (Chinese text available on request).",
					a.Article, name)))
		}
	}
	w.say(pick(g.Lang, "建议：对照原文核实您的具体情况，拿不准时请咨询律师。",
		"What to do next: check the full text against your facts, and ask a lawyer when "+
			"in doubt."))
}

func (e *Engine) composeMissing(w *writer, g *Grounding) {
	for _, m := range g.Missing {
		l, ok := e.Library().Law(m.Law)
		if !ok {
			continue
		}
		w.say(pick(g.Lang,
			fmt.Sprintf("《%s》共%s条，没有第%s条，请核对条文序号。", l.ShortTitle(),
				law.FormatNumeral(len(l.Articles)), law.FormatNumeral(m.Article)),
			fmt.Sprintf("The %s has %d articles; there is no Article %d. Please check the "+
				"number.", l.EnglishName(), len(l.Articles), m.Article)))
	}
}

func (e *Engine) lawName(title, lang string) string {
	l, ok := e.Library().Law(title)
	switch {
	case !ok:
		return title
	case lang == "en":
		return l.EnglishName()
	default:
		return l.ShortTitle()
	}
}

func (r *Reply) addCitation(c Citation) {
	for _, x := range r.Citations {
		if x.Law == c.Law && x.Article == c.Article {
			return
		}
	}
	if len(r.Citations) < maxCitations {
		r.Citations = append(r.Citations, c)
	}
}

// BasisLine names the citations, grouped by law: 依据：《劳动合同法》第十条、第八十二条。
func BasisLine(lang string, cs []Citation, lib *law.Library) string {
	var order []string
	byLaw := map[string][]int{}
	for _, c := range cs {
		if _, ok := byLaw[c.Law]; !ok {
			order = append(order, c.Law)
		}
		byLaw[c.Law] = append(byLaw[c.Law], c.Article)
	}
	var parts []string
	for _, t := range order {
		name := t
		l, ok := lib.Law(t)
		if lang == "en" {
			if ok {
				name = l.EnglishName()
			}
			var nums []string
			for _, n := range byLaw[t] {
				nums = append(nums, fmt.Sprint(n))
			}
			word := "Article "
			if len(nums) > 1 {
				word = "Articles "
			}
			parts = append(parts, fmt.Sprintf("%s, %s%s", name, word, joinAnd(nums)))
			continue
		}
		if ok {
			name = l.ShortTitle()
		}
		var nums []string
		for _, n := range byLaw[t] {
			nums = append(nums, "第"+law.FormatNumeral(n)+"条")
		}
		parts = append(parts, "《"+name+"》"+strings.Join(nums, "、"))
	}
	if lang == "en" {
		return "Legal basis: " + strings.Join(parts, "; ") + "."
	}
	return "依据：" + strings.Join(parts, "；") + "。"
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

var specialtyZh = map[string]string{
	"labor": "劳动", "contract": "合同", "company": "公司", "ip": "知识产权",
	"consumer": "消费者权益", "tax": "税务", "administrative": "行政", "debt": "债务",
	"criminal": "刑事", "data": "数据合规",
}

var specialtyEn = map[string]string{
	"labor": "employment", "contract": "contract", "company": "corporate", "ip": "IP",
	"consumer": "consumer-law", "tax": "tax", "administrative": "administrative-law",
	"debt": "debt-recovery", "criminal": "criminal", "data": "data-protection",
}

// HandoffLine is the sentence that tells the user, in lang, why and to whom the call
// is being handed.
func HandoffLine(lang string, reason handoff.Reason, topic string) string {
	zh := specialtyZh[topic] + "律师"
	en := "a " + specialtyEn[topic] + " lawyer"
	if specialtyEn[topic] == "" {
		en = "a lawyer"
	}
	switch reason {
	case handoff.UserRequest:
		return pick(lang, "好的，我这就为您转接真人"+zh+"。",
			"Of course. I am connecting you with "+en+" now.")
	case handoff.Criminal:
		return pick(lang, "这个问题涉及刑事法律责任，需要真人律师亲自处理，我这就为您转接刑事律师。",
			"This involves criminal law, which a human lawyer must handle; I am connecting "+
				"you with a criminal lawyer now.")
	case handoff.Litigation:
		return pick(lang, "案件已经进入诉讼或仲裁程序，建议由真人律师跟进，我为您转接"+zh+"。",
			"Since proceedings are already under way, a human lawyer should take this on; "+
				"I am connecting you with "+en+".")
	case handoff.Drafting:
		return pick(lang, "起草或审查法律文书需要真人律师来做，我为您转接"+zh+"。",
			"Drafting or reviewing documents needs a human lawyer; I am connecting you "+
				"with "+en+".")
	case handoff.LargeSum:
		return pick(lang, "涉及金额较大，建议由真人律师把关，我为您转接"+zh+"。",
			"With this much money at stake, a human lawyer should check; I am connecting "+
				"you with "+en+".")
	case handoff.RepeatedFailure:
		return pick(lang, "这几个问题我都没能回答好，我为您转接真人"+zh+"。",
			"I have not been able to answer these questions well, so I am connecting you "+
				"with "+en+".")
	default:
		return pick(lang, "这个问题建议由真人律师处理，我为您转接"+zh+"。",
			"A human lawyer should handle this; I am connecting you with "+en+".")
	}
}

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

func excerpt(s string, maxRunes int) string {
	s = strings.ReplaceAll(s, "\n", "")
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	return string([]rune(s)[:maxRunes]) + "……"
}

// writer collects sentences.
type writer struct {
	lang      string
	sentences []string
}

func (w *writer) say(text string) {
	w.sentences = append(w.sentences, SplitSentences(text)...)
}

func (w *writer) finish(r *Reply) *Reply {
	r.Sentences = w.sentences
	sep := ""
	if w.lang == "en" {
		sep = " "
	}
	r.Answer = strings.Join(w.sentences, sep)
	if r.Citations == nil {
		r.Citations = []Citation{}
	}
	return r
}

// SplitSentences cuts text into sentences after 。！？；!? and after ". " so that each
// can be spoken as soon as it is complete. Enumerations inside a sentence stay whole.
func SplitSentences(text string) []string {
	var out []string
	var b strings.Builder
	rs := []rune(strings.TrimSpace(text))
	for i, r := range rs {
		if r == '\n' {
			r = ' '
		}
		b.WriteRune(r)
		end := strings.ContainsRune("。！？；!?", r) ||
			(r == '.' && (i+1 == len(rs) || rs[i+1] == ' ' || rs[i+1] == '\n'))
		closing := strings.ContainsRune("”\"）)", r) && i > 0 &&
			strings.ContainsRune("。！？；!?.", rs[i-1])
		if closing || end && !(i+1 < len(rs) && strings.ContainsRune("”\"）)", rs[i+1])) {
			if s := strings.TrimSpace(b.String()); s != "" {
				out = append(out, s)
			}
			b.Reset()
		}
	}
	if s := strings.TrimSpace(b.String()); s != "" {
		out = append(out, s)
	}
	return out
}
