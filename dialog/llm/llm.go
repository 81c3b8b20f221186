// Package llm owns the answer engine that uses a large language model: any
// OpenAI-compatible chat-completions endpoint, streamed, given the retrieved cards and
// articles and two tools (search_law and request_lawyer). Every citation in the
// model's answer is checked against the statute library and the material the model
// was given; the rest are removed. When the endpoint is slow, fails or refuses, the
// embedded engine answers instead.
package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"fayun/dialog/answer"
	"fayun/dialog/handoff"
	"fayun/internal/envflag"
)

// Config selects the endpoint and the time limits.
type Config struct {
	BaseURL string // e.g. http://127.0.0.1:8000/v1; empty disables the LLM engine
	Model   string // model name sent to the endpoint
	APIKey  string // bearer token; may be empty for local servers
	// Timeout bounds the wait for the first streamed token, and for each later chunk,
	// before the embedded engine answers instead (default 4s).
	Timeout time.Duration
	// MaxToolRounds bounds how many rounds of tool calls one answer may take (default 3).
	MaxToolRounds int
}

// Enabled reports whether an endpoint is configured.
func (c Config) Enabled() bool { return c.BaseURL != "" }

// RegisterSettings binds the LLM settings to a command's flags and FAYUN_LLM_*
// variables: llm-base-url, llm-model, llm-api-key, llm-timeout.
func RegisterSettings(fs *envflag.Set) *Config {
	c := &Config{MaxToolRounds: 3}
	fs.String(&c.BaseURL, "llm-base-url", "",
		"OpenAI-compatible endpoint (…/v1); empty: answer without an LLM")
	fs.String(&c.Model, "llm-model", "gpt-4o-mini", "model name for the LLM endpoint")
	fs.String(&c.APIKey, "llm-api-key", "", "API key for the LLM endpoint")
	fs.Duration(&c.Timeout, "llm-timeout", 4*time.Second,
		"longest wait for the LLM's first token (and each later chunk) before falling back")
	return c
}

// Engine answers with an LLM, falling back to the embedded engine. It is safe for
// concurrent use.
type Engine struct {
	cfg    Config
	client *openai.Client
	base   *answer.Engine
	log    *slog.Logger
}

// New returns an LLM engine over the endpoint in cfg, grounded by and falling back to
// base.
func New(cfg Config, base *answer.Engine, log *slog.Logger) (*Engine, error) {
	if !cfg.Enabled() {
		return nil, errors.New("llm: no base URL configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 4 * time.Second
	}
	if cfg.MaxToolRounds <= 0 {
		cfg.MaxToolRounds = 3
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Engine{cfg: cfg, client: openai.NewClientWithConfig(oc), base: base, log: log}, nil
}

// Answer answers one question and records the turn in s.
func (e *Engine) Answer(ctx context.Context, s *answer.Session, question, lang string) (
	*answer.Reply, error) {
	return e.Stream(ctx, s, question, lang, nil)
}

// Stream answers one question, emitting each sentence once it is complete and its
// citations verified, then the citations. It falls back to the embedded answer when
// the endpoint fails before any sentence was emitted; after that, it ends the answer
// with what was said so far.
func (e *Engine) Stream(ctx context.Context, s *answer.Session, question, lang string,
	emit func(answer.Event) error) (*answer.Reply, error) {
	g, err := e.base.Ground(ctx, s, question, lang)
	if err != nil {
		return nil, err
	}
	switch g.Decision.Reason {
	case handoff.UserRequest, handoff.Criminal:
		return e.fallback(ctx, s, g, emit, "", nil)
	}
	t := newTurn(e, g, s, emit)
	r, err := t.run(ctx)
	switch {
	case err == nil:
	case t.emitErr != nil:
		return r, t.emitErr // the consumer stopped listening (barge-in)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("llm: %w", ctx.Err())
	case len(t.sentences) == 0:
		return e.fallback(ctx, s, g, emit, "llm_fallback", err)
	default:
		e.log.WarnContext(ctx, "llm stream broke off", "err", err,
			"sentences", len(t.sentences))
		r = t.finish()
	}
	s.Record(g.Question, g.Lang, r)
	if err := t.emitCitations(r); err != nil {
		return r, err
	}
	return r, nil
}

func (e *Engine) fallback(ctx context.Context, s *answer.Session, g *answer.Grounding,
	emit func(answer.Event) error, engine string, cause error) (*answer.Reply, error) {
	if cause != nil {
		e.log.WarnContext(ctx, "llm failed, embedded engine answers", "err", cause)
	}
	r := e.base.Compose(g)
	if engine != "" {
		r.Engine = engine
	}
	s.Record(g.Question, g.Lang, r)
	return r, answer.Emit(r, emit)
}
