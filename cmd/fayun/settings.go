package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/internal/envflag"
	"fayun/store"
)

// defaultDatabaseURL is where fayun looks for PostgreSQL when FAYUN_DATABASE_URL is unset.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/fayun?sslmode=disable"

// baseSettings are the settings every command that touches the database shares.
type baseSettings struct {
	databaseURL string
	logLevel    string
	logFormat   string
}

func (b *baseSettings) register(fs *envflag.Set) {
	fs.String(&b.databaseURL, "database-url", defaultDatabaseURL,
		"PostgreSQL connection URL")
	fs.String(&b.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.String(&b.logFormat, "log-format", "text", "log format: text or json")
}

// validate checks the settings and names the variable of the first bad one.
func (b *baseSettings) validate() error {
	u, err := url.Parse(b.databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("FAYUN_DATABASE_URL: want a postgres:// URL, got %q", b.databaseURL)
	}
	if _, err := parseLevel(b.logLevel); err != nil {
		return err
	}
	if b.logFormat != "text" && b.logFormat != "json" {
		return fmt.Errorf("FAYUN_LOG_FORMAT: want text or json, got %q", b.logFormat)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToLower(s))); err != nil {
		return 0, fmt.Errorf("FAYUN_LOG_LEVEL: want debug, info, warn or error, got %q", s)
	}
	return l, nil
}

func (b *baseSettings) logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(b.logLevel)
	opts := &slog.HandlerOptions{Level: level}
	if b.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// open connects to the database and, when migrate is set, applies the migrations.
func (b *baseSettings) open(ctx context.Context, log *slog.Logger, migrate bool) (*pgxpool.Pool, error) {
	pool, err := store.Open(ctx, b.databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database %s does not answer (set FAYUN_DATABASE_URL, or use "+
			"'make run', which starts a private PostgreSQL): %w", redact(b.databaseURL), err)
	}
	if migrate {
		if err := store.Migrate(ctx, pool, log); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// redact hides the password of a database URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// parseArgs parses a command's flags; --help prints the settings and returns flag.ErrHelp.
func parseArgs(fs *envflag.Set, env *environ, args []string) error {
	fs.SetOutput(env.stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return nil
}
