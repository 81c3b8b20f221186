package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"fayun/dialog/answer"
	"fayun/dialog/cards"
	"fayun/dialog/handoff"
	"fayun/dialog/law"
)

// errTimeout is returned when the endpoint sends nothing within Config.Timeout.
var errTimeout = errors.New("llm: endpoint sent nothing within the timeout")

// turn is one answer in progress.
type turn struct {
	e    *Engine
	g    *answer.Grounding
	s    *answer.Session
	emit func(answer.Event) error

	allowed   map[law.Ref]answer.Citation // articles the model was given, with text
	msgs      []openai.ChatCompletionMessage
	pending   strings.Builder // text not yet ending in a sentence boundary
	sentences []string
	citations []answer.Citation
	dropped   int
	lawyer    *handoff.Decision // set when the model called request_lawyer
	emitErr   error
}

func newTurn(e *Engine, g *answer.Grounding, s *answer.Session,
	emit func(answer.Event) error) *turn {
	t := &turn{e: e, g: g, s: s, emit: emit, allowed: map[law.Ref]answer.Citation{}}
	lib := e.base.Library()
	if g.Card != nil {
		for _, ct := range g.Card.Cites {
			if a, ok := lib.Article(ct.Law, ct.Article); ok {
				t.allow(answer.Citation{Law: ct.Law, Article: ct.Article, Text: a.Text()})
			}
		}
	}
	for _, c := range g.Refs {
		t.allow(c)
	}
	for _, c := range g.Articles {
		t.allow(c)
	}
	t.msgs = t.prompt()
	return t
}

func (t *turn) allow(c answer.Citation) {
	t.allowed[law.Ref{Law: c.Law, Article: c.Article}] = c
}

// run streams the model's answer, executing its tool calls, until it stops.
func (t *turn) run(ctx context.Context) (*answer.Reply, error) {
	for round := 0; ; round++ {
		calls, err := t.stream(ctx, round < t.e.cfg.MaxToolRounds)
		if err != nil {
			return nil, err
		}
		if len(calls) == 0 {
			break
		}
		t.msgs = append(t.msgs, openai.ChatCompletionMessage{
			Role: openai.ChatMessageRoleAssistant, ToolCalls: calls})
		for _, c := range calls {
			t.msgs = append(t.msgs, openai.ChatCompletionMessage{
				Role: openai.ChatMessageRoleTool, ToolCallID: c.ID, Name: c.Function.Name,
				Content: t.callTool(ctx, c)})
		}
	}
	if err := t.flush(true); err != nil {
		return nil, err
	}
	if len(t.sentences) == 0 {
		return nil, errors.New("llm: the model gave no answer")
	}
	return t.finish(), nil
}

// stream runs one chat completion, feeding its text to the sentence splitter and
// returning the tool calls it asked for.
func (t *turn) stream(ctx context.Context, tools bool) ([]openai.ToolCall, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut atomic.Bool
	timer := time.AfterFunc(t.e.cfg.Timeout, func() { timedOut.Store(true); cancel() })
	defer timer.Stop()

	req := openai.ChatCompletionRequest{Model: t.e.cfg.Model, Messages: t.msgs, Stream: true,
		Temperature: 0.2}
	if tools {
		req.Tools = toolDefs
	}
	st, err := t.e.client.CreateChatCompletionStream(sctx, req)
	if err != nil {
		return nil, t.streamErr(err, timer, &timedOut)
	}
	defer st.Close()
	var calls []openai.ToolCall
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, t.streamErr(err, timer, &timedOut)
		}
		timer.Reset(t.e.cfg.Timeout)
		for _, ch := range resp.Choices {
			if ch.Delta.Refusal != "" {
				return nil, fmt.Errorf("llm: the model refused: %s", ch.Delta.Refusal)
			}
			calls = mergeToolCalls(calls, ch.Delta.ToolCalls)
			if ch.Delta.Content != "" {
				t.pending.WriteString(ch.Delta.Content)
				if err := t.flush(false); err != nil {
					return nil, err
				}
			}
		}
	}
	return calls, nil
}

func (t *turn) streamErr(err error, timer *time.Timer, timedOut *atomic.Bool) error {
	if !timer.Stop() && timedOut.Load() {
		return errTimeout
	}
	return fmt.Errorf("llm: stream: %w", err)
}

// mergeToolCalls adds streamed tool-call fragments: the first fragment of a call
// carries its id and name, later ones more of its JSON arguments.
func mergeToolCalls(calls []openai.ToolCall, parts []openai.ToolCall) []openai.ToolCall {
	for _, p := range parts {
		i := len(calls)
		if p.Index != nil {
			i = *p.Index
		}
		for len(calls) <= i {
			calls = append(calls, openai.ToolCall{Type: openai.ToolTypeFunction})
		}
		c := &calls[i]
		if p.ID != "" {
			c.ID = p.ID
		}
		if p.Function.Name != "" {
			c.Function.Name = p.Function.Name
		}
		c.Function.Arguments += p.Function.Arguments
	}
	return calls
}

// flush moves every complete sentence out of pending, verifies its citations and
// emits it; with all set, the rest of pending counts as a sentence too.
func (t *turn) flush(all bool) error {
	text := t.pending.String()
	cut := len(text)
	if !all {
		cut = lastBoundary(text)
	}
	if cut == 0 {
		return nil
	}
	t.pending.Reset()
	t.pending.WriteString(text[cut:])
	for _, sn := range answer.SplitSentences(text[:cut]) {
		sn = t.verify(sn)
		if sn == "" {
			continue
		}
		t.sentences = append(t.sentences, sn)
		if t.emit != nil {
			if err := t.emit(answer.Event{Sentence: sn}); err != nil {
				t.emitErr = err
				return err
			}
		}
	}
	return nil
}

// lastBoundary returns the byte offset just after the last sentence end in text, or 0.
func lastBoundary(text string) int {
	cut := 0
	for i, r := range text {
		end := i + len(string(r))
		switch {
		case strings.ContainsRune("。！？；!?\n", r):
			cut = end
		case r == '.' && end < len(text) && (text[end] == ' ' || text[end] == '\n'):
			cut = end
		case strings.ContainsRune("”\"）)", r) && cut == i:
			cut = end // a closing quote belongs to the sentence it closes
		}
	}
	return cut
}

// finish builds the reply from what was said.
func (t *turn) finish() *answer.Reply {
	g := t.g
	r := &answer.Reply{Sentences: t.sentences, Citations: t.citations, Lang: g.Lang,
		Topic: g.Topic, Engine: "llm", Handoff: g.Decision.Handoff,
		HandoffReason: g.Decision.Reason}
	if len(r.Citations) == 0 && g.Card != nil {
		// The model answered from the card without naming its articles: show the card's.
		for _, ct := range g.Card.Cites {
			if c, ok := t.allowed[law.Ref{Law: ct.Law, Article: ct.Article}]; ok {
				r.Citations = append(r.Citations, c)
			}
		}
	}
	if g.Card != nil {
		r.CardIDs = []string{g.Card.ID}
	}
	if !r.Handoff && t.lawyer != nil {
		r.Handoff, r.HandoffReason = true, handoff.ModelRequest
		if t.lawyer.Topic != "" {
			r.Topic = t.lawyer.Topic
		}
	}
	if r.Handoff {
		line := answer.HandoffLine(g.Lang, r.HandoffReason, r.Topic)
		r.Sentences = append(r.Sentences, line)
		if t.emit != nil && t.emitErr == nil {
			t.emitErr = t.emit(answer.Event{Sentence: line})
		}
	}
	if r.Citations == nil {
		r.Citations = []answer.Citation{}
	}
	r.Known = len(r.Citations) > 0
	sep := ""
	if g.Lang == "en" {
		sep = " "
	}
	r.Answer = strings.Join(r.Sentences, sep)
	if t.dropped > 0 {
		t.e.log.Warn("llm citations dropped", "count", t.dropped)
	}
	return r
}

func (t *turn) emitCitations(r *answer.Reply) error {
	if t.emit == nil || t.emitErr != nil {
		return t.emitErr
	}
	for i := range r.Citations {
		c := r.Citations[i]
		if err := t.emit(answer.Event{Citation: &c}); err != nil {
			return err
		}
	}
	return nil
}

var toolDefs = []openai.Tool{
	{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: "search_law",
		Description: "Search the statute library and the plain-language cards. Returns " +
			"articles (law, article number, text) you may cite.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string",` +
			`"description":"what to look for, in Chinese or English"}},"required":["query"]}`),
	}},
	{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: "request_lawyer",
		Description: "Hand the user to a human lawyer: criminal matters, proceedings " +
			"already under way, drafting documents, large sums, or the user asks for a person.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"reason":{"type":"string"},` +
			`"topic":{"type":"string","enum":["labor","contract","company","ip","consumer",` +
			`"tax","administrative","debt","criminal","data"]}},"required":["reason","topic"]}`),
	}},
}

// callTool runs one tool call and returns its result for the model.
func (t *turn) callTool(ctx context.Context, c openai.ToolCall) string {
	switch c.Function.Name {
	case "search_law":
		var args struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal([]byte(c.Function.Arguments), &args); err != nil ||
			strings.TrimSpace(args.Query) == "" {
			return `{"error":"arguments must be {\"query\": \"...\"}"}`
		}
		return t.searchLaw(ctx, args.Query)
	case "request_lawyer":
		var args struct {
			Reason string `json:"reason"`
			Topic  string `json:"topic"`
		}
		_ = json.Unmarshal([]byte(c.Function.Arguments), &args)
		topic := t.g.Topic
		if slices.Contains(cards.Topics, args.Topic) {
			topic = args.Topic
		}
		t.lawyer = &handoff.Decision{Handoff: true, Reason: handoff.ModelRequest, Topic: topic}
		t.e.log.InfoContext(ctx, "llm requested a lawyer", "topic", topic)
		return `{"status":"a human lawyer will be connected; tell the user briefly"}`
	default:
		return `{"error":"unknown tool"}`
	}
}

type toolArticle struct {
	Law     string `json:"law"`
	Article int    `json:"article"`
	Text    string `json:"text"`
}

type toolCard struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Next     string `json:"next"`
}

func (t *turn) searchLaw(ctx context.Context, q string) string {
	res, err := t.e.base.Index().Search(ctx, q, t.g.Lang, 5)
	if err != nil {
		return `{"error":"search failed"}`
	}
	lib := t.e.base.Library()
	var out struct {
		Cards    []toolCard    `json:"cards"`
		Articles []toolArticle `json:"articles"`
	}
	addArticle := func(r law.Ref) {
		a, ok := lib.Article(r.Law, r.Article)
		if !ok || len(out.Articles) >= 8 {
			return
		}
		t.allow(answer.Citation{Law: r.Law, Article: r.Article, Text: a.Text()})
		out.Articles = append(out.Articles, toolArticle{r.Law, r.Article, a.Text()})
	}
	for _, r := range res.Refs {
		if r.Law != "" {
			addArticle(r)
		}
	}
	for i, h := range res.Cards {
		if i == 2 {
			break
		}
		c := h.Card
		if t.g.Lang == "en" {
			out.Cards = append(out.Cards, toolCard{c.QEn, c.AnswerEn, c.NextEn})
		} else {
			out.Cards = append(out.Cards, toolCard{c.QZh, c.AnswerZh, c.NextZh})
		}
		for _, ct := range c.Cites {
			addArticle(law.Ref{Law: ct.Law, Article: ct.Article})
		}
	}
	for _, h := range res.Articles {
		addArticle(h.Ref)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return `{"error":"encode failed"}`
	}
	return string(b)
}
