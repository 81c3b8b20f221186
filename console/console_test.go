package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"fayun/accounts"
	"fayun/calls"
	"fayun/console"
	"fayun/handoffs"
	"fayun/lawyers"
	"fayun/store/storetest"
)

const pw = "lawyer password 1"

func setup(t *testing.T) (*httptest.Server, *handoffs.Queue, func(string, ...any)) {
	t.Helper()
	ctx := context.Background()
	pool := storetest.New(t)
	dir := lawyers.NewDirectory(pool)
	if _, err := dir.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("UPDATE lawyers SET on_duty = false")
	acc := accounts.New(pool, accounts.Config{Hash: accounts.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if _, err := acc.DevSeed(ctx, []int{1, 2, 3}, pw); err != nil {
		t.Fatal(err)
	}
	q := handoffs.New(pool, handoffs.Config{})
	con := console.New(console.Config{Accounts: acc, Queue: q, Directory: dir,
		Records: calls.NewRecords(pool, "test")})
	mux := http.NewServeMux()
	con.Mount(mux)
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		if _, err := acc.SignIn(w, r, r.PostFormValue("login"), r.PostFormValue("password")); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
		}
	})
	mux.Handle("GET /csrf", acc.RequireRole()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := accounts.FromContext(r.Context())
		_, _ = io.WriteString(w, s.CSRFToken())
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, q, exec
}

type browser struct {
	t    *testing.T
	srv  *httptest.Server
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, srv *httptest.Server, login string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, srv: srv, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if login != "" {
		resp, err := b.c.PostForm(srv.URL+"/signin", url.Values{"login": {login}, "password": {pw}})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("sign in %s: %v %v", login, resp.StatusCode, err)
		}
		resp.Body.Close()
		resp, err = b.c.Get(srv.URL + "/csrf")
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.csrf = string(tok)
	}
	return b
}

func (b *browser) do(method, path, body string, hdr ...string) (int, map[string]any) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set(accounts.CSRFHeader, b.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestSignedOutAndCallerRefused(t *testing.T) {
	srv, _, _ := setup(t)
	anon := newBrowser(t, srv, "")
	for _, p := range []string{"/api/console/state", "/api/console/handoffs/1", "/ws/console"} {
		if got, body := anon.do("GET", p, ""); got != http.StatusUnauthorized || body["error"] != "signed_out" {
			t.Errorf("GET %s signed out: %d %v, want 401 signed_out", p, got, body)
		}
	}
	if got, _ := anon.do("POST", "/api/console/handoffs/1/accept", ""); got != http.StatusUnauthorized {
		t.Errorf("accept signed out: %d", got)
	}
	// A caller holds only a transcript token; it opens nothing here.
	if got, _ := anon.do("GET", "/api/console/state", "", "Authorization", "Bearer call-token",
		"Cookie", "fayun_session=call-token"); got != http.StatusUnauthorized {
		t.Errorf("caller token: %d, want 401", got)
	}
	// Staff may not use the lawyer console.
	staff := newBrowser(t, srv, "staff@dev.fayun.local")
	if got, _ := staff.do("GET", "/api/console/state", ""); got != http.StatusForbidden {
		t.Errorf("staff: %d, want 403", got)
	}
}

func TestDutyAcceptRaceAndCSRF(t *testing.T) {
	srv, q, exec := setup(t)
	l1, l2, l3 := newBrowser(t, srv, "1"), newBrowser(t, srv, "2"), newBrowser(t, srv, "3")
	for _, b := range []*browser{l1, l2, l3} {
		if got, _ := b.do("POST", "/api/console/duty", `{"on_duty": true}`); got != 200 {
			t.Fatalf("duty: %d", got)
		}
	}
	noCSRF := *l1
	noCSRF.csrf = ""
	if got, body := noCSRF.do("POST", "/api/console/duty", `{"on_duty": false}`); got != 403 || body["error"] != "csrf" {
		t.Fatalf("duty without CSRF: %d %v", got, body)
	}
	replay := *l1
	replay.csrf = l2.csrf // a real token, of another session
	if got, _ := replay.do("POST", "/api/console/duty", `{"on_duty": false}`); got != 403 {
		t.Fatalf("duty with another session's CSRF: %d", got)
	}
	exec("INSERT INTO calls (id, lawyer_id, lang, transcript_token) VALUES ('c1', 1, 'zh', 't1')")
	h, err := q.Submit(context.Background(), handoffs.Request{CallID: "c1", PreferredLawyer: 1, Topic: "labor"})
	if err != nil || h.OfferedTo != 1 {
		t.Fatalf("submit: %+v %v", h, err)
	}
	code, st := l2.do("GET", "/api/console/state", "")
	if code != 200 || st["offers"].(float64) != 0 || len(st["queue"].([]any)) != 1 {
		t.Fatalf("state of lawyer 2: %d %v", code, st)
	}
	if code, st = l1.do("GET", "/api/console/state", ""); st["offers"].(float64) != 1 {
		t.Fatalf("state of lawyer 1: %d %v", code, st)
	}
	path := fmt.Sprintf("/api/console/handoffs/%d/accept", h.ID)
	var wg sync.WaitGroup
	results := make([]int, 3)
	codes := make([]string, 3)
	for i, b := range []*browser{l1, l2, l3} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, body := b.do("POST", path, "")
			results[i] = c
			codes[i], _ = body["error"].(string)
		}()
	}
	wg.Wait()
	wins := 0
	for i, c := range results {
		switch {
		case c == 200:
			wins++
		case c == 409 && codes[i] == "taken":
		default:
			t.Errorf("browser %d: %d %s", i, c, codes[i])
		}
	}
	if wins != 1 {
		t.Fatalf("accept race: %v, want one 200", results)
	}
}
