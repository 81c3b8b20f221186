package answer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/dialog/cards"
	"fayun/dialog/handoff"
	"fayun/dialog/law"
	"fayun/dialog/retrieval"
)

// LoadStats describes what Load found and how long it took.
type LoadStats struct {
	Laws, Articles, Cards int
	CardProblems          []law.CardProblem // card citations missing from the library
	LoadLibrary           time.Duration     // reading laws and articles from the database
	BuildIndex            time.Duration     // building the in-memory search index
}

// Load builds the embedded engine from the database: it reads the statute library,
// stores the embedded explainer cards, checks their citations (logging every problem)
// and builds the search index. An empty library is allowed: the engine then answers
// from the cards alone and cites nothing it cannot verify.
func Load(ctx context.Context, pool *pgxpool.Pool, policy handoff.Policy, log *slog.Logger) (
	*Engine, LoadStats, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var st LoadStats
	start := time.Now()
	lib, err := law.Load(ctx, pool)
	if err != nil {
		return nil, st, fmt.Errorf("answer: %w", err)
	}
	st.LoadLibrary = time.Since(start)
	cs, err := cards.All()
	if err != nil {
		return nil, st, fmt.Errorf("answer: %w", err)
	}
	if err := law.StoreCards(ctx, pool, cs); err != nil {
		return nil, st, fmt.Errorf("answer: %w", err)
	}
	st.CardProblems = law.CheckCards(lib, cs)
	for _, p := range st.CardProblems {
		log.WarnContext(ctx, "card citation not in library", "card_id", p.CardID, "law", p.Law,
			"article", p.Article, "reason", p.Reason)
	}
	ix, err := retrieval.Build(lib, cs)
	if err != nil {
		return nil, st, fmt.Errorf("answer: %w", err)
	}
	st.BuildIndex = ix.BuildDur
	st.Laws, st.Articles, st.Cards = len(lib.Laws()), lib.ArticleCount(), len(cs)
	log.InfoContext(ctx, "law library loaded", "laws", st.Laws, "articles", st.Articles,
		"cards", st.Cards, "load_ms", st.LoadLibrary.Milliseconds(),
		"index_ms", st.BuildIndex.Milliseconds())
	return New(ix, policy, log), st, nil
}
