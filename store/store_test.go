package store_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"fayun/store"
	"fayun/store/storetest"
)

func TestMigrateFromEmptyTwiceAndConcurrently(t *testing.T) {
	ctx := context.Background()
	pool, err := store.Open(ctx, storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 { // concurrent migrators serialise on the advisory lock
		wg.Go(func() { errs <- store.Migrate(ctx, pool, log) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Migrate(ctx, pool, log); err != nil {
		t.Fatalf("second run: %v", err)
	}

	migs, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(migs) {
		t.Fatalf("%d migrations recorded, %d embedded", applied, len(migs))
	}
	var riverTable bool
	err = pool.QueryRow(ctx, "SELECT to_regclass('river_job') IS NOT NULL").Scan(&riverTable)
	if err != nil || !riverTable {
		t.Fatalf("river tables missing: %v", err)
	}
}

func TestOpenReportsUnreachableDatabase(t *testing.T) {
	_, err := store.Open(context.Background(),
		"postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
}
