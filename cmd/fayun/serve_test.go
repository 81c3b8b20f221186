package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fayun/store/storetest"
)

func testEnv(vars map[string]string) (*environ, *bytes.Buffer) {
	var out bytes.Buffer
	return &environ{stdout: &out, stderr: &out, lookup: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}, &out
}

func TestServeSettingsValidation(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // substring of the error; "" for success
	}{
		{"defaults", nil, nil, ""},
		{"env and flag", map[string]string{"FAYUN_ADDR": "127.0.0.1:9"}, []string{"-workers", "3"}, ""},
		{"bad addr", map[string]string{"FAYUN_ADDR": "8080"}, nil, "FAYUN_ADDR"},
		{"bad db url", map[string]string{"FAYUN_DATABASE_URL": "mysql://x"}, nil, "FAYUN_DATABASE_URL"},
		{"bad level", map[string]string{"FAYUN_LOG_LEVEL": "loud"}, nil, "FAYUN_LOG_LEVEL"},
		{"bad format", map[string]string{"FAYUN_LOG_FORMAT": "xml"}, nil, "FAYUN_LOG_FORMAT"},
		{"workers not a number", map[string]string{"FAYUN_WORKERS": "many"}, nil, "FAYUN_WORKERS"},
		{"too many workers", nil, []string{"-workers", "1000"}, "FAYUN_WORKERS"},
		{"bad bool", map[string]string{"FAYUN_MIGRATE": "perhaps"}, nil, "FAYUN_MIGRATE"},
		{"bad duration", map[string]string{"FAYUN_SHUTDOWN_TIMEOUT": "soon"}, nil, "FAYUN_SHUTDOWN_TIMEOUT"},
		{"zero duration", nil, []string{"-shutdown-timeout", "0s"}, "FAYUN_SHUTDOWN_TIMEOUT"},
		{"stray argument", nil, []string{"now"}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := testEnv(tt.env)
			_, err := serveFlags(env, tt.args)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	env, out := testEnv(nil)
	err := dispatch(context.Background(), env, []string{"serve", "--help"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("help returned %v", err)
	}
	for _, v := range []string{"FAYUN_ADDR", "FAYUN_DATABASE_URL", "FAYUN_LOG_LEVEL",
		"FAYUN_LOG_FORMAT", "FAYUN_WORKERS", "FAYUN_MIGRATE", "FAYUN_SHUTDOWN_TIMEOUT"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
	env, _ = testEnv(nil)
	if err := dispatch(context.Background(), env, []string{"frobnicate"}); exitCode(err) != 2 {
		t.Errorf("unknown command: err %v, exit code %d", err, exitCode(err))
	}
}

// proxy forwards loopback TCP connections to the database, and can cut them all, which
// looks to fayun exactly like a database that went away.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.accept()
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func TestServerAgainstRealDatabase(t *testing.T) {
	dbURL, err := url.Parse(storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, dbURL.Host)
	dbURL.Host = px.ln.Addr().String()

	env, logs := testEnv(map[string]string{"FAYUN_DATABASE_URL": dbURL.String(),
		"FAYUN_WORKERS": "0", "FAYUN_LOG_LEVEL": "warn"})
	s, err := serveFlags(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := newServer(ctx, s, s.base.logger(env.stderr))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	base := "http://" + ln.Addr().String()

	var all []map[string]any
	getJSON(t, base+"/api/lawyers", http.StatusOK, &all)
	if len(all) != 163 {
		t.Fatalf("/api/lawyers returned %d lawyers, want 163", len(all))
	}
	var labor []map[string]any
	getJSON(t, base+"/api/lawyers?specialty=labor&district="+url.QueryEscape("南湖区"), 200, &labor)
	if len(labor) == 0 || len(labor) >= 163 {
		t.Fatalf("labour lawyers in 南湖区: %d", len(labor))
	}
	for _, l := range labor {
		if l["district"] != "南湖区" || !strings.Contains(fmt.Sprint(l["specialties"]), "labor") {
			t.Fatalf("filter returned %v", l)
		}
	}
	var one map[string]any
	getJSON(t, base+"/api/lawyers/42", 200, &one)
	if one["id"] != float64(42) || one["avatar"] != "/avatars/42.png" {
		t.Fatalf("/api/lawyers/42 = %v", one)
	}
	var apiErr map[string]string
	for _, bad := range []struct {
		path string
		code int
	}{
		{"/api/lawyers/9999", 404}, {"/api/lawyers/abc", 400},
		{"/api/lawyers?specialty=astrology", 400}, {"/api/lawyers?district=Paris", 400},
		{"/api/lawyers?on_duty=maybe", 400}, {"/api/lawyers?colour=red", 400},
		{"/api/lawyers?q=" + strings.Repeat("x", 51), 400},
	} {
		getJSON(t, base+bad.path, bad.code, &apiErr)
		if apiErr["error"] == "" || apiErr["message"] == "" {
			t.Errorf("%s: error body %v", bad.path, apiErr)
		}
	}
	home := get(t, base+"/?specialty=labor", 200)
	if !strings.Contains(home, "劳动用工") || !strings.Contains(home, "/call/") {
		t.Errorf("home page lacks the directory")
	}
	if en := get(t, base+"/?lang=en", 200); !strings.Contains(en, "Video call") {
		t.Errorf("English page not in English")
	}
	if m := get(t, base+"/metrics", 200); !strings.Contains(m, "fayun_db_pool_connections") ||
		!strings.Contains(m, "fayun_http_requests_total") {
		t.Errorf("metrics lack pool or http series")
	}

	waitHealth(t, base, http.StatusOK)
	px.setDown(true)
	waitHealth(t, base, http.StatusServiceUnavailable)
	px.setDown(false)
	waitHealth(t, base, http.StatusOK)
}

func waitHealth(t *testing.T, base string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz stayed %d, want %d", resp.StatusCode, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, u string, want int) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", u, resp.StatusCode, want, b)
	}
	return string(b)
}

func getJSON(t *testing.T, u string, want int, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, u, want)), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
