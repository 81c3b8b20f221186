package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fayun/lawyers"
	"fayun/store"
	"fayun/store/storetest"
)

// TestClipsMake runs `fayun worker` and `fayun clips make` in this process against a
// fresh database: the command queues, waits and copies a playable MP4; bad input is
// refused with a usage error before anything is queued.
func TestClipsMake(t *testing.T) {
	dir := t.TempDir()
	url := storetest.NewDatabase(t)
	pool, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := store.Migrate(context.Background(), pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := lawyers.NewDirectory(pool).Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"FAYUN_DATABASE_URL": url,
		"FAYUN_CLIP_DIR": filepath.Join(dir, "clips"), "FAYUN_WORKERS": "1",
		"FAYUN_LOG_LEVEL": "warn"}
	ctx, cancel := context.WithCancel(context.Background())
	wenv, _ := testEnv(vars)
	done := make(chan error, 1)
	go func() { done <- runWorker(ctx, wenv, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})

	script := filepath.Join(dir, "script.txt")
	if err := os.WriteFile(script, []byte("Hello. Probation may not exceed six months.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.mp4")
	env, log := testEnv(vars)
	if err := dispatch(ctx, env, []string{"clips", "make", "--lawyer", "9", "--script", script,
		"--out", out}); err != nil {
		t.Fatalf("clips make: %v\n%s", err, log)
	}
	if !strings.Contains(log.String(), "done 100%") || !strings.Contains(log.String(), "wrote "+out) {
		t.Errorf("clips make output lacks progress or result:\n%s", log)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
		"-of", "csv=p=0", out).Output()
	if err != nil || !strings.Contains(string(probe), "h264") || !strings.Contains(string(probe), "aac") {
		t.Errorf("ffprobe %s: %v: %q", out, err, probe)
	}

	for _, args := range [][]string{
		{"--lawyer", "9", "--script", script, "--out", out, "--size", "800x600"},
		{"--lawyer", "9999", "--script", script, "--out", out},
		{"--lawyer", "9", "--script", script, "--out", out, "--format", "avi"},
	} {
		env, _ := testEnv(vars)
		err := dispatch(ctx, env, append([]string{"clips", "make"}, args...))
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("clips make %q: %v, want a usage error", args, err)
		}
	}
}
