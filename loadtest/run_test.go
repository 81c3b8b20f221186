package loadtest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fayun/store/storetest"
)

// lockedBuffer collects a subprocess's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer builds the fayun binary, runs `fayun serve` on a fresh database and an
// ephemeral loopback port, and returns its base URL. The server is stopped with SIGTERM
// when the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "fayun")
	build := exec.Command("go", "build", "-o", bin, "./cmd/fayun")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	srv := exec.Command(bin, "serve", "-addr", addr)
	srv.Env = append(os.Environ(),
		"FAYUN_DATABASE_URL="+storetest.NewDatabase(t),
		"FAYUN_ICE_LOOPBACK_ONLY=true", "FAYUN_WORKERS=0",
		"FAYUN_JOIN_RATE=100000", "FAYUN_JOIN_BURST=1000", "FAYUN_WS_MAX_PER_IP=1000")
	var logs lockedBuffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = srv.Process.Kill()
			<-exited
			t.Errorf("fayun serve did not stop on SIGTERM; log:\n%s", logs.String())
		}
	})

	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("fayun serve exited: %v; log:\n%s", err, logs.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("fayun serve not healthy after 60 s; log:\n%s", logs.String())
		}
	}
}

// TestSmallRun holds five calls for ten seconds against a real server, two of them
// asking spoken questions, and checks that every caller joined, connected and received
// decodable video and the avatar's audio. It is a correctness check: no timing is
// asserted.
func TestSmallRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the whole server")
	}
	base := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Run(ctx, Config{URL: base, Calls: 5, Duration: 10 * time.Second, Ramp: 5,
		Talkers: 0.4, IdleAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r.WriteText(&out)
	t.Logf("report:\n%s", out.String())
	if r.Joined != 5 || r.Connected != 5 || r.JoinFailures != 0 || r.Talkers != 2 {
		t.Errorf("joined %d connected %d failures %d talkers %d; want 5, 5, 0, 2",
			r.Joined, r.Connected, r.JoinFailures, r.Talkers)
	}
	if r.CallsWithoutVideo != 0 || r.CallsWithoutAudio != 0 {
		t.Errorf("%d calls without video, %d without audio", r.CallsWithoutVideo,
			r.CallsWithoutAudio)
	}
	if r.DecodedFrames < 5 || r.DecodeErrors != 0 {
		t.Errorf("decoded %d frames with %d errors", r.DecodedFrames, r.DecodeErrors)
	}
	if r.Samples < 2 || r.RSSMB <= 0 {
		t.Errorf("server metrics: %d samples, RSS %g MB", r.Samples, r.RSSMB)
	}

	if _, err := Run(ctx, Config{URL: "http://192.0.2.1:80", Calls: 1,
		Duration: time.Second}); err == nil {
		t.Error("a non-loopback target was accepted")
	}
}
