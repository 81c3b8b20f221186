package law

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Outcome says what importing one file did.
type Outcome string

// The outcomes of importing a file.
const (
	Imported  Outcome = "imported"  // a law new to the database
	Replaced  Outcome = "replaced"  // a changed file replaced the law's articles
	Unchanged Outcome = "unchanged" // same content hash as before: nothing written
	Failed    Outcome = "failed"    // malformed or not written; see Err
)

// FileResult is the result of importing one file.
type FileResult struct {
	File     string
	Title    string
	Articles int
	Outcome  Outcome
	Err      error
}

// ImportDir parses every *.md file of dir except README.md and writes each law in its
// own transaction. A malformed file is reported in its FileResult and nothing of it is
// written; the others still import. The error is for failures that stop the whole
// import (an unreadable directory, a lost database).
func ImportDir(ctx context.Context, pool *pgxpool.Pool, dir string, log *slog.Logger) (
	[]FileResult, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, fmt.Errorf("import laws: %w", err)
	}
	sort.Strings(names)
	var out []FileResult
	titles := map[string]string{}
	for _, path := range names {
		base := filepath.Base(path)
		if strings.EqualFold(base, "README.md") {
			continue
		}
		res := FileResult{File: base, Outcome: Failed}
		src, err := os.ReadFile(path)
		if err != nil {
			res.Err = fmt.Errorf("read: %w", err)
			out = append(out, res)
			continue
		}
		l, err := Parse(base, src)
		if err != nil {
			res.Err = err
			log.WarnContext(ctx, "law file rejected", "file", base, "err", err)
			out = append(out, res)
			continue
		}
		res.Title, res.Articles = l.Title, len(l.Articles)
		if other, dup := titles[l.Title]; dup {
			res.Err = fmt.Errorf("%s: title %q already imported from %s", base, l.Title, other)
			out = append(out, res)
			continue
		}
		titles[l.Title] = base
		res.Outcome, err = Store(ctx, pool, l)
		if err != nil {
			if ctx.Err() != nil {
				return out, fmt.Errorf("import laws: %w", err)
			}
			res.Outcome, res.Err = Failed, err
		}
		log.InfoContext(ctx, "law file imported", "file", base, "outcome", res.Outcome,
			"articles", res.Articles)
		out = append(out, res)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("import laws: no .md files in %s", dir)
	}
	return out, nil
}

// Store writes one parsed law in a single transaction: nothing when its content hash
// is already stored, otherwise the law row and all of its articles, replacing any
// previous articles of the same title.
func Store(ctx context.Context, pool *pgxpool.Pool, l *Law) (Outcome, error) {
	outcome := Imported
	history := l.History
	if history == nil {
		history = []string{}
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id int
		var hash string
		err := tx.QueryRow(ctx, `SELECT id, content_hash FROM laws WHERE title = $1 FOR UPDATE`,
			l.Title).Scan(&id, &hash)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			err = tx.QueryRow(ctx, `INSERT INTO laws (title, file_name, history, content_hash,
				article_count) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				l.Title, l.File, history, l.Hash, len(l.Articles)).Scan(&id)
			if err != nil {
				return fmt.Errorf("insert law: %w", err)
			}
		case err != nil:
			return fmt.Errorf("find law: %w", err)
		case hash == l.Hash:
			outcome = Unchanged
			return nil
		default:
			outcome = Replaced
			if _, err := tx.Exec(ctx, `UPDATE laws SET file_name = $2, history = $3,
				content_hash = $4, article_count = $5, imported_at = now() WHERE id = $1`,
				id, l.File, history, l.Hash, len(l.Articles)); err != nil {
				return fmt.Errorf("update law: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM articles WHERE law_id = $1`, id); err != nil {
				return fmt.Errorf("delete old articles: %w", err)
			}
		}
		rows := make([][]any, len(l.Articles))
		for i, a := range l.Articles {
			path := a.Path
			if path == nil {
				path = []string{}
			}
			rows[i] = []any{id, a.Number, path, a.Paragraphs}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"articles"},
			[]string{"law_id", "number", "path", "paragraphs"}, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy articles: %w", err)
		}
		return nil
	})
	if err != nil {
		return Failed, fmt.Errorf("store %s: %w", l.File, err)
	}
	return outcome, nil
}
