package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"fayun/dialog/answer"
	"fayun/dialog/handoff"
	"fayun/dialog/llm"
	"fayun/internal/envflag"
	"fayun/store"
)

func init() {
	register("ask", "answer one legal question from the law library (--format json for scripts)",
		runAsk)
}

// askJSON is the fixed JSON contract of fayun ask --format json.
type askJSON struct {
	Answer        string         `json:"answer"`
	Citations     []askCitation  `json:"citations"`
	Handoff       bool           `json:"handoff"`
	HandoffReason handoff.Reason `json:"handoff_reason"`
	Topic         string         `json:"topic"`
}

type askCitation struct {
	Law     string `json:"law"`
	Article int    `json:"article"`
}

func runAsk(ctx context.Context, env *environ, args []string) error {
	fs := envflag.New("ask", env.lookup)
	fs.SetOutput(env.stderr)
	var url, lang, format string
	fs.String(&url, "database-url", defaultDatabaseURL, "PostgreSQL connection URL")
	fs.StringVar(&lang, "lang", "", "answer language: zh or en (default: the question's)")
	fs.StringVar(&format, "format", "text", "output: text or json")
	var evalFile string
	var verbose bool
	fs.StringVar(&evalFile, "eval", "",
		"instead of one question, answer every line of this JSONL evaluation set and "+
			"print recall@1, recall@3, handoff accuracy and latency")
	fs.BoolVar(&verbose, "v", false, "with --eval: print every item, not only misses")
	llmCfg := registerLLMSettings(fs)
	policy := registerHandoffSettings(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if lang != "" && lang != "zh" && lang != "en" {
		return usageError{fmt.Sprintf("--lang must be zh or en, not %q", lang)}
	}
	if format != "text" && format != "json" {
		return usageError{fmt.Sprintf("--format must be text or json, not %q", format)}
	}
	question := strings.Join(fs.Args(), " ")
	if fs.NArg() == 0 && evalFile == "" {
		return usageError{
			"usage: fayun ask [--lang zh|en] [--format text|json] QUESTION | --eval FILE"}
	}

	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, log); err != nil {
		return err
	}
	engine, stats, err := answer.Load(ctx, pool, *policy, log)
	if err != nil {
		return err
	}
	defer engine.Index().Close()
	if stats.Articles == 0 {
		fmt.Fprintln(env.stderr,
			"fayun ask: the statute library is empty; run 'fayun laws import DIR' first")
	}
	var ans answer.Answerer = engine
	if withLLM, err := newLLMEngine(llmCfg, engine, log); err != nil {
		return err
	} else if withLLM != nil {
		ans = withLLM
	}
	if evalFile != "" {
		items, err := answer.ReadEval(evalFile)
		if err != nil {
			return err
		}
		rep, err := answer.Evaluate(ctx, ans, engine.Library(), items)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "library: %d laws, %d articles, %d cards; index built in %s\n",
			stats.Laws, stats.Articles, stats.Cards, stats.BuildIndex.Round(time.Millisecond))
		rep.Print(env.stdout, verbose)
		return nil
	}
	reply, err := ans.Answer(ctx, answer.NewSession(), question, lang)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeAskJSON(env.stdout, reply)
	}
	writeAskText(env.stdout, reply)
	return nil
}

func writeAskJSON(w io.Writer, r *answer.Reply) error {
	out := askJSON{Answer: r.Answer, Citations: []askCitation{}, Handoff: r.Handoff,
		HandoffReason: r.HandoffReason, Topic: r.Topic}
	for _, c := range r.Citations {
		out.Citations = append(out.Citations, askCitation{Law: c.Law, Article: c.Article})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("ask: write json: %w", err)
	}
	return nil
}

func writeAskText(w io.Writer, r *answer.Reply) {
	fmt.Fprintln(w, r.Answer)
	if len(r.Citations) > 0 {
		fmt.Fprintln(w)
	}
	for _, c := range r.Citations {
		fmt.Fprintf(w, "%s\n  %s\n", c.Label(), strings.ReplaceAll(c.Text, "\n", "\n  "))
	}
	if r.Handoff {
		fmt.Fprintf(w, "\nhandoff: %s (topic %s)\n", r.HandoffReason, r.Topic)
	}
}

// llmSettings are the FAYUN_LLM_* settings shared by ask and serve.
type llmSettings = llm.Config

// registerLLMSettings adds FAYUN_LLM_BASE_URL, _MODEL, _API_KEY and _TIMEOUT.
func registerLLMSettings(fs *envflag.Set) *llmSettings { return llm.RegisterSettings(fs) }

// registerHandoffSettings adds FAYUN_HANDOFF_LARGE_SUM and FAYUN_HANDOFF_MAX_FAILURES.
func registerHandoffSettings(fs *envflag.Set) *handoff.Policy {
	return handoff.RegisterSettings(fs)
}

// newLLMEngine returns the LLM engine over base when an endpoint is configured, and
// nil (with no error) when none is: callers then use base itself.
func newLLMEngine(cfg *llmSettings, base *answer.Engine, log *slog.Logger) (
	answer.Answerer, error) {
	if cfg == nil || !cfg.Enabled() {
		return nil, nil
	}
	e, err := llm.New(*cfg, base, log)
	if err != nil {
		return nil, err
	}
	return e, nil
}
