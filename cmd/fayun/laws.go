package main

import (
	"context"
	"fmt"
	"log/slog"

	"fayun/dialog/cards"
	"fayun/dialog/law"
	"fayun/internal/envflag"
	"fayun/store"
)

func init() {
	register("laws import", "import statute Markdown files (one per law) from DIR",
		runLawsImport)
}

func runLawsImport(ctx context.Context, env *environ, args []string) error {
	fs := envflag.New("laws import", env.lookup)
	fs.SetOutput(env.stderr)
	var url string
	fs.String(&url, "database-url", defaultDatabaseURL, "PostgreSQL connection URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: fayun laws import [flags] DIR"}
	}
	// Rejected files are printed below; the log only carries errors.
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	pool, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, log); err != nil {
		return err
	}
	results, err := law.ImportDir(ctx, pool, fs.Arg(0), log)
	if err != nil {
		return err
	}
	failed, total := 0, 0
	for _, r := range results {
		if r.Outcome == law.Failed {
			failed++
			fmt.Fprintf(env.stdout, "%-48s failed: %v\n", r.File, r.Err)
			continue
		}
		fmt.Fprintf(env.stdout, "%-48s %-9s %4d articles  %s\n", r.File, r.Outcome,
			r.Articles, r.Title)
	}
	lib, err := law.Load(ctx, pool)
	if err != nil {
		return err
	}
	total = lib.ArticleCount()
	fmt.Fprintf(env.stdout, "library: %d laws, %d articles\n", len(lib.Laws()), total)

	cs, err := cards.All()
	if err != nil {
		return err
	}
	problems := law.CheckCards(lib, cs)
	for _, p := range problems {
		fmt.Fprintf(env.stdout, "warning: %s\n", p)
	}
	if err := law.StoreCards(ctx, pool, cs); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "cards: %d loaded, %d citations not in the library\n",
		len(cs), len(problems))
	if failed > 0 {
		return fmt.Errorf("laws import: %d of %d files failed", failed, len(results))
	}
	return nil
}
