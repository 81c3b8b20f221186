package answer

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fayun/dialog/handoff"
	"fayun/dialog/law"
	"fayun/store/storetest"
)

var (
	envOnce   sync.Once
	envEngine *Engine
	envStats  LoadStats
	envErr    error
)

func lawsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FAYUN_TEST_LAWS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "laws")
	}
	if _, err := os.Stat(filepath.Join(dir, "civil-code.md")); err != nil {
		t.Skipf("statute corpus not found at %s (set FAYUN_TEST_LAWS): %v", dir, err)
	}
	return dir
}

func evalPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("FAYUN_TEST_EVAL")
	if p == "" {
		p = filepath.Join("..", "..", "..", "shared", "eval", "dev.jsonl")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("evaluation set not found at %s (set FAYUN_TEST_EVAL): %v", p, err)
	}
	return p
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testEngine returns the engine shared by the tests of this package, built once over a
// fresh database holding the real corpus. The engine lives in memory, so it stays
// usable after the first test's database is dropped.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	dir := lawsDir(t)
	envOnce.Do(func() {
		ctx := context.Background()
		pool := storetest.New(t)
		if _, err := law.ImportDir(ctx, pool, dir, quiet()); err != nil {
			envErr = err
			return
		}
		envEngine, envStats, envErr = Load(ctx, pool, handoff.DefaultPolicy(), quiet())
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	if envEngine == nil {
		t.Skip("engine not built")
	}
	return envEngine
}

func TestEvalDev(t *testing.T) {
	e := testEngine(t)
	items, err := ReadEval(evalPath(t))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), e, e.Library(), items)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Print(&b, testing.Verbose())
	t.Log("\n" + b.String())
	if rep.Recall3 < 0.90 {
		t.Errorf("recall@3 = %.3f, want ≥ 0.90", rep.Recall3)
	}
	if rep.HandoffRecall < 1 {
		t.Errorf("%d questions expect a handoff; recall %.3f, want 1", rep.Handoffs,
			rep.HandoffRecall)
	}
}
