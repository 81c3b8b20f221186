// Package browsertest runs Fayun's browser tests: it puts the test binary in a private
// network namespace that has only a loopback interface (when running as root), starts
// a real `fayun serve` on a fresh database, and drives headless Chromium against it with
// chromedp. Nothing a browser test starts can reach beyond 127.0.0.1.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
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

	"github.com/chromedp/chromedp"

	"fayun/store/storetest"
)

// inNamespace marks the re-executed test binary.
const inNamespace = "FAYUN_BROWSERTEST_NETNS"

// pgSocketDir is where Debian's PostgreSQL listens on a Unix socket, which stays
// reachable from inside a new network namespace.
const pgSocketDir = "/var/run/postgresql"

// Main runs a test package's tests. As root, outside a namespace, it re-executes the
// test binary in a new network namespace with only lo up and returns its exit code;
// the database is then reached through PostgreSQL's Unix socket. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
func Main(m *testing.M) int {
	if os.Getenv(inNamespace) == "" && os.Geteuid() == 0 && socketExists() {
		return reexec()
	}
	if os.Getenv(inNamespace) != "" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "browsertest: bring lo up: %v: %s\n", err, out)
			return 1
		}
	}
	return m.Run()
}

func socketExists() bool {
	_, err := os.Stat(filepath.Join(pgSocketDir, ".s.PGSQL.5432"))
	return err == nil
}

func reexec() int {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), inNamespace+"=1")
	if os.Getenv("FAYUN_TEST_DATABASE_URL") == "" {
		cmd.Env = append(cmd.Env, "FAYUN_TEST_DATABASE_URL=postgres://postgres@/postgres?host="+
			pgSocketDir+"&sslmode=disable")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "browsertest: re-exec in a network namespace: %v\n", err)
		return 1
	}
	return 0
}

// Isolated reports whether the tests run in a private network namespace.
func Isolated() bool { return os.Getenv(inNamespace) != "" }

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds the fayun command once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "fayun-browsertest-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "fayun")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/fayun")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("browsertest: %v", buildErr)
	}
	return binPath
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// Server is a running `fayun serve` subprocess.
type Server struct {
	URL   string // http://127.0.0.1:PORT
	DBURL string
	Log   *bytes.Buffer // the server's log output
	cmd   *exec.Cmd
}

// Options adjust the server a test starts.
type Options struct {
	// Env adds FAYUN_* settings (NAME=value) to the server's environment.
	Env []string
	// Laws imports the statute corpus named by FAYUN_TEST_LAWS before the server
	// starts; without the corpus the test is skipped.
	Laws bool
}

// StartServer runs `fayun serve` on a fresh database and a free loopback port, with
// WebRTC restricted to loopback, and stops it (SIGTERM, then the log on failure) when
// the test ends.
func StartServer(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	db := storetest.NewDatabase(t)
	env := append(os.Environ(), "FAYUN_DATABASE_URL="+db, "FAYUN_ICE_LOOPBACK_ONLY=true",
		"FAYUN_LOG_LEVEL=debug", "FAYUN_JOIN_RATE=1000", "FAYUN_JOIN_BURST=100")
	env = append(env, opts.Env...)
	if opts.Laws {
		laws := os.Getenv("FAYUN_TEST_LAWS")
		if laws == "" {
			t.Skip("FAYUN_TEST_LAWS is not set: the statute corpus is needed for this test")
		}
		cmd := exec.Command(bin, "laws", "import", laws)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("browsertest: import laws: %v: %s", err, out)
		}
	}
	port := freePort(t)
	s := &Server{URL: "http://127.0.0.1:" + port, DBURL: db, Log: &bytes.Buffer{}}
	s.cmd = exec.Command(bin, "serve", "-addr", "127.0.0.1:"+port)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.Log, s.Log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("browsertest: start fayun serve: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("fayun serve log (last 6000 bytes):\n%s", tail(s.Log.String(), 6000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("browsertest: fayun serve did not become healthy:\n%s", tail(s.Log.String(), 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// BrowserOptions adjust the Chromium a test starts.
type BrowserOptions struct {
	// FakeAudio is a WAV file Chromium's fake microphone plays once (absolute path);
	// empty gives the built-in beeping fake device.
	FakeAudio string
	// Width and Height of the window; default 1280×800.
	Width, Height int
}

// NewBrowser starts headless Chromium with fake media devices and loopback WebRTC, and
// returns a chromedp context for one tab. The browser stops when the test ends.
func NewBrowser(t testing.TB, opts BrowserOptions) context.Context {
	t.Helper()
	chrome := "/usr/bin/chromium"
	if _, err := os.Stat(chrome); err != nil {
		t.Fatalf("browsertest: Chromium is not installed at %s (run scripts/setup)", chrome)
	}
	if opts.Width == 0 {
		opts.Width, opts.Height = 1280, 800
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("hide-scrollbars", true),
	}
	if opts.FakeAudio != "" {
		flags = append(flags, chromedp.Flag("use-file-for-fake-audio-capture",
			opts.FakeAudio+"%noloop"))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		t.Fatalf("browsertest: start Chromium: %v", err)
	}
	return ctx
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise) and
// returns its value decoded into T.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: evaluate %q: %v", expr, err)
	}
	return v
}

// WaitFor polls a JavaScript predicate until it is truthy or timeout passes.
func WaitFor(t testing.TB, ctx context.Context, what, predicate string, timeout time.Duration) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("browsertest: waiting for %s (%s): %v", what, predicate, err)
	}
}

// Screenshot saves a PNG of the page for review under FAYUN_TEST_ARTIFACTS (default
// var/test-artifacts in the module) and returns its path.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	dir := os.Getenv("FAYUN_TEST_ARTIFACTS")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "var", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}
