package clips_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fayun/lawyers"
	"fayun/worker"
	"fayun/worker/clips"
)

// encoderRunning reports whether an ffmpeg process writes into dir.
func encoderRunning(dir string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "ffmpeg") && strings.Contains(string(b), dir) {
			return true
		}
	}
	return false
}

// buildFayun builds the fayun binary into a temporary directory.
func buildFayun(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "fayun")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/fayun")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// startWorker starts `fayun worker` with one worker on the database at url.
func startWorker(t *testing.T, bin, url, dir, logName string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(), "FAYUN_DATABASE_URL="+url, "FAYUN_CLIP_DIR="+dir,
		"FAYUN_CLIP_LEASE=2s", "FAYUN_WORKERS=1", "FAYUN_LOG_LEVEL=info")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s:\n%s", logName, b)
		}
	})
	return cmd
}

// TestKilledWorkerRecovers kills a worker process with SIGKILL in the middle of a
// render, starts another, and checks that the clip ends with exactly one complete file.
func TestKilledWorkerRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fayun binary")
	}
	bin := buildFayun(t)
	url, pool := openDB(t)
	dir := t.TempDir()
	svc, err := clips.New(clips.Config{Pool: pool, Log: testLog(t), Lawyers: lawyers.NewDirectory(pool),
		Dir: dir, Lease: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := worker.New(worker.Config{Pool: pool, Log: testLog(t)}) // insert only
	if err != nil {
		t.Fatal(err)
	}
	svc.SetQueue(rc)
	e := &env{pool: pool, svc: svc, rc: rc, dir: dir}

	first := startWorker(t, bin, url, dir, "worker1.log")
	script := strings.Repeat("劳动合同应当以书面形式订立，试用期包含在劳动合同期限内。", 8)
	c, err := svc.Queue(context.Background(), clips.Request{LawyerID: 11, Script: script,
		Size: clips.Size{W: 640, H: 360}, Formats: []clips.Format{clips.MP4}, Subtitles: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, c.ID, func(c clips.Clip) bool { return c.Status == clips.Rendering && c.Progress >= 25 })
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	parts, _ := filepath.Glob(filepath.Join(dir, ".clip-*.part"))
	if len(parts) == 0 {
		t.Fatalf("no partial file after killing the worker mid-render: %q", listDir(t, dir))
	}
	t.Logf("killed worker 1 at %v; left %q", time.Now().Format(time.TimeOnly), listDir(t, dir))
	// Its ffmpeg dies with it (parent-death signal), so nothing writes on.
	deadline := time.Now().Add(5 * time.Second)
	for encoderRunning(dir) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if encoderRunning(dir) {
		t.Error("ffmpeg of the killed worker is still running")
	}

	startWorker(t, bin, url, dir, "worker2.log")
	c = wait(t, e, c.ID, 3*time.Minute)
	if c.Status != clips.Done || len(c.Files) != 1 {
		t.Fatalf("clip ended %s (%s) with %d files", c.Status, c.Error, len(c.Files))
	}
	if c.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (the killed one and the recovery)", c.Attempts)
	}
	names := listDir(t, dir)
	if len(names) != 1 || names[0] != c.Files[0].Name {
		t.Fatalf("storage holds %q, want exactly %s", names, c.Files[0].Name)
	}
	checkFile(t, filepath.Join(dir, names[0]), clips.Size{W: 640, H: 360},
		time.Duration(c.DurationMS)*time.Millisecond, "h264", "aac")
}
