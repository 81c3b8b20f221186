package main

import (
	"context"
	"fmt"

	"fayun/internal/envflag"
	"fayun/lawyers"
)

func init() {
	register("migrate", "apply database migrations and seed the roster (idempotent)", runMigrate)
}

func runMigrate(ctx context.Context, env *environ, args []string) error {
	var base baseSettings
	fs := envflag.New("migrate", env.lookup)
	base.register(fs)
	if err := parseArgs(fs, env, args); err != nil {
		return err
	}
	if err := base.validate(); err != nil {
		return err
	}
	log := base.logger(env.stderr)
	pool, err := base.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := lawyers.NewDirectory(pool).Seed(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "migrations applied; roster seeded (%d rows changed)\n", n)
	return nil
}
