package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"fayun/accounts"
	"fayun/lawyers"
	"fayun/store/storetest"
)

// cheap keeps the tests fast; TestPasswordDefaultCost covers the real cost.
var cheap = accounts.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

type env struct {
	svc *accounts.Service
	srv *httptest.Server
}

func setup(t *testing.T) *env {
	t.Helper()
	pool := storetest.New(t)
	if _, err := lawyers.NewDirectory(pool).Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := accounts.New(pool, accounts.Config{Hash: cheap})
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := accounts.FromContext(r.Context())
		_, _ = w.Write([]byte("hello " + sess.Account.Email))
	})
	mux.Handle("/console", svc.RequireRole(accounts.RoleLawyer)(ok))
	mux.Handle("/api/console/x", svc.RequireRole(accounts.RoleLawyer)(ok))
	mux.Handle("/studio", svc.RequireRole(accounts.RoleStaff, accounts.RoleOperator)(ok))
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		if _, err := svc.SignIn(w, r, r.PostFormValue("login"), r.PostFormValue("password")); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, accounts.ErrThrottled) {
				status = http.StatusTooManyRequests
			}
			http.Error(w, err.Error(), status)
		}
	})
	mux.HandleFunc("GET /csrf", svc.RequireRole()(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			sess, _ := accounts.FromContext(r.Context())
			_, _ = w.Write([]byte(sess.CSRFToken()))
		})).ServeHTTP)
	mux.HandleFunc("POST /signout", func(w http.ResponseWriter, r *http.Request) {
		_ = svc.SignOut(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{svc: svc, srv: srv}
}

// account creates an account with a password set through an invitation.
func (e *env) account(t *testing.T, n accounts.NewAccount, pw string) accounts.Account {
	t.Helper()
	ctx := context.Background()
	a, err := e.svc.Create(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.svc.Invite(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = e.svc.AcceptInvite(ctx, tok, pw); err != nil {
		t.Fatal(err)
	}
	return a
}

// client is a browser with its own cookie jar.
type client struct {
	t *testing.T
	c *http.Client
	e *env
}

func (e *env) client(t *testing.T) *client {
	jar := newJar()
	return &client{t: t, e: e, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, body url.Values, hdr map[string]string) *http.Response {
	c.t.Helper()
	var rd *strings.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (c *client) signIn(login, pw string) int {
	return c.do("POST", "/signin", url.Values{"login": {login}, "password": {pw}}, nil).StatusCode
}

func (c *client) csrf() string {
	resp := c.do("GET", "/csrf", nil, nil)
	var b strings.Builder
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return b.String()
}

const pw = "correct horse battery"

func TestSignedOutIsRedirectedOrRefused(t *testing.T) {
	e := setup(t)
	c := e.client(t)
	resp := c.do("GET", "/console?x=1", nil, map[string]string{"Accept": "text/html,*/*"})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/signin?next=%2Fconsole%3Fx%3D1" {
		t.Fatalf("page: got %d %q, want 302 to /signin?next=…", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = c.do("GET", "/api/console/x", nil, map[string]string{"Accept": "application/json"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("api: got %d, want 401", resp.StatusCode)
	}
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["error"] != "signed_out" {
		t.Fatalf("api body: %v %v", body, err)
	}
}

func TestSignInRolesAndSignOut(t *testing.T) {
	e := setup(t)
	e.account(t, accounts.NewAccount{Email: "L7@Example.org", Role: accounts.RoleLawyer, LawyerID: 7}, pw)
	e.account(t, accounts.NewAccount{Email: "staff@example.org", Role: accounts.RoleStaff}, pw)

	lawyer := e.client(t)
	if got := lawyer.signIn("7", pw); got != http.StatusOK {
		t.Fatalf("sign in by lawyer number: %d", got)
	}
	if got := lawyer.do("GET", "/console", nil, nil).StatusCode; got != http.StatusOK {
		t.Fatalf("lawyer /console: %d", got)
	}
	if got := lawyer.do("GET", "/studio", nil, nil).StatusCode; got != http.StatusForbidden {
		t.Fatalf("lawyer /studio: %d, want 403", got)
	}
	staff := e.client(t)
	if got := staff.signIn("STAFF@example.org ", pw); got != http.StatusOK {
		t.Fatalf("staff sign in: %d", got)
	}
	if got := staff.do("GET", "/api/console/x", nil, nil).StatusCode; got != http.StatusForbidden {
		t.Fatalf("staff console api: %d, want 403", got)
	}

	// Sign-out ends the session on the server: the old cookie no longer works.
	u, _ := url.Parse(e.srv.URL)
	old := lawyer.c.Jar.Cookies(u)
	lawyer.do("POST", "/signout", nil, nil)
	replay := e.client(t)
	replay.c.Jar.SetCookies(u, old)
	if got := replay.do("GET", "/api/console/x", nil, nil).StatusCode; got != http.StatusUnauthorized {
		t.Fatalf("cookie after sign-out: %d, want 401", got)
	}
}

func TestCookieAttributes(t *testing.T) {
	e := setup(t)
	e.account(t, accounts.NewAccount{Email: "a@example.org", Role: accounts.RoleOperator}, pw)
	c := e.client(t)
	resp := c.do("POST", "/signin", url.Values{"login": {"a@example.org"}, "password": {pw}}, nil)
	var got *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == accounts.CookieName {
			got = ck
		}
	}
	if got == nil || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", got)
	}
	if len(got.Value) < 43 {
		t.Fatalf("cookie value too short: %d", len(got.Value))
	}
	// Over TLS the cookie is Secure.
	req := httptest.NewRequest("POST", "https://x/signin", nil)
	rec := httptest.NewRecorder()
	req.TLS = new(tlsState)
	a, _ := e.svc.ByLogin(context.Background(), "a@example.org")
	if _, err := e.svc.StartSession(rec, req, a); err != nil {
		t.Fatal(err)
	}
	if cs := rec.Result().Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Fatalf("TLS cookie: %+v, want Secure", cs)
	}
}

func TestTamperedCookieRefused(t *testing.T) {
	e := setup(t)
	e.account(t, accounts.NewAccount{Email: "a@example.org", Role: accounts.RoleLawyer, LawyerID: 3}, pw)
	c := e.client(t)
	c.signIn("a@example.org", pw)
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name != accounts.CookieName {
			continue
		}
		for _, v := range []string{flip(ck.Value), ck.Value + "A", "", "%%%", strings.Repeat("A", 43)} {
			bad := e.client(t)
			bad.c.Jar.SetCookies(u, []*http.Cookie{{Name: accounts.CookieName, Value: v}})
			if got := bad.do("GET", "/api/console/x", nil, nil).StatusCode; got != http.StatusUnauthorized {
				t.Errorf("cookie %q: got %d, want 401", v, got)
			}
		}
		return
	}
	t.Fatal("no session cookie")
}

func flip(s string) string {
	b := []byte(s)
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	return string(b)
}

func TestCSRF(t *testing.T) {
	e := setup(t)
	e.account(t, accounts.NewAccount{Email: "a@example.org", Role: accounts.RoleLawyer, LawyerID: 3}, pw)
	c := e.client(t)
	c.signIn("a@example.org", pw)
	token := c.csrf()

	if got := c.do("POST", "/api/console/x", nil, nil).StatusCode; got != http.StatusForbidden {
		t.Fatalf("missing token: %d, want 403", got)
	}
	if got := c.do("POST", "/api/console/x", nil, map[string]string{"X-CSRF-Token": token}).StatusCode; got != 200 {
		t.Fatalf("header token: %d", got)
	}
	form := url.Values{"csrf_token": {token}}
	if got := c.do("POST", "/api/console/x", form, nil).StatusCode; got != 200 {
		t.Fatalf("form token: %d", got)
	}
	if got := c.do("POST", "/api/console/x", nil,
		map[string]string{"X-CSRF-Token": token[:len(token)-1] + "x"}).StatusCode; got != http.StatusForbidden {
		t.Fatalf("altered token: %d", got)
	}

	// A token replayed into another session (even of the same person) is refused.
	other := e.client(t)
	other.signIn("a@example.org", pw)
	csrf := map[string]string{"X-CSRF-Token": token}
	if got := other.do("POST", "/api/console/x", nil, csrf).StatusCode; got != http.StatusForbidden {
		t.Fatalf("token of another session: %d, want 403", got)
	}
	// …and after sign-out and a new sign-in in the same browser.
	c.do("POST", "/signout", nil, nil)
	c.signIn("a@example.org", pw)
	if got := c.do("POST", "/api/console/x", nil, csrf).StatusCode; got != http.StatusForbidden {
		t.Fatalf("token of an ended session: %d, want 403", got)
	}
}

func TestSignInThrottled(t *testing.T) {
	e := setup(t)
	e.account(t, accounts.NewAccount{Email: "a@example.org", Role: accounts.RoleLawyer, LawyerID: 3}, pw)
	c := e.client(t)
	for i := range 5 {
		if got := c.signIn("a@example.org", "wrong password "+string(rune('a'+i))); got != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i, got)
		}
	}
	// The right password is refused too while throttled, and under the lawyer number.
	if got := c.signIn("a@example.org", pw); got != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures: %d, want 429", got)
	}
	if got := c.signIn("3", pw); got != http.StatusTooManyRequests {
		t.Fatalf("lawyer number after 5 failures: %d, want 429", got)
	}
}

func TestSignInThrottledPerAddress(t *testing.T) {
	e := setup(t)
	e.account(t, accounts.NewAccount{Email: "a@example.org", Role: accounts.RoleStaff}, pw)
	c := e.client(t)
	var wg sync.WaitGroup
	for i := range 20 { // many unknown logins from one address
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.signIn("nobody"+string(rune('a'+i))+"@example.org", "x")
		}()
	}
	wg.Wait()
	if got := c.signIn("a@example.org", pw); got != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from one address: %d, want 429", got)
	}
}

func TestInvitations(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	a, err := e.svc.Create(ctx, accounts.NewAccount{Email: "s@example.org", Role: accounts.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	dup := accounts.NewAccount{Email: "S@example.org", Role: accounts.RoleStaff}
	if _, err := e.svc.Create(ctx, dup); !errors.Is(err, accounts.ErrExists) {
		t.Fatalf("duplicate email: %v", err)
	}
	if _, err := e.svc.Create(ctx, accounts.NewAccount{Email: "x@example.org", Role: accounts.RoleLawyer}); err == nil {
		t.Fatal("lawyer without lawyer id accepted")
	}
	c := e.client(t)
	if got := c.signIn("s@example.org", ""); got != http.StatusUnauthorized {
		t.Fatalf("sign in before invitation: %d", got)
	}
	old, _ := e.svc.Invite(ctx, a.ID)
	tok, _ := e.svc.Invite(ctx, a.ID)
	if _, err := e.svc.AcceptInvite(ctx, old, pw); !errors.Is(err, accounts.ErrInviteInvalid) {
		t.Fatalf("superseded invitation: %v", err)
	}
	if _, err := e.svc.AcceptInvite(ctx, tok, "short"); !errors.Is(err, accounts.ErrWeakPassword) {
		t.Fatalf("short password: %v", err)
	}
	// Two uses of one token at once: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.AcceptInvite(ctx, tok, pw); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d uses of one invitation succeeded, want 1", wins)
	}
	if _, err := e.svc.Invitation(ctx, tok); !errors.Is(err, accounts.ErrInviteInvalid) {
		t.Fatalf("used invitation still readable: %v", err)
	}
	if got := c.signIn("s@example.org", pw); got != http.StatusOK {
		t.Fatalf("sign in after invitation: %d", got)
	}
}

func TestDevSeedOnlyWhenAsked(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	list, err := e.svc.List(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("fresh database has accounts: %v %v", list, err)
	}
	got, err := e.svc.DevSeed(ctx, []int{1, 2}, "development pw")
	if err != nil || len(got) != 4 {
		t.Fatalf("dev seed: %v %v", got, err)
	}
	// Running it again resets rather than duplicates.
	if _, err := e.svc.DevSeed(ctx, []int{1, 2}, "development pw2"); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	if got := c.signIn("1", "development pw2"); got != http.StatusOK {
		t.Fatalf("seeded lawyer sign in: %d", got)
	}
	if got := c.signIn("operator@dev.fayun.local", "development pw"); got != http.StatusUnauthorized {
		t.Fatalf("old dev password still works: %d", got)
	}
}

func TestPasswordDefaultCost(t *testing.T) {
	h, err := accounts.HashPassword("s3cret password", accounts.DefaultHashParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"s3cret password", true}, {"s3cret passworD", false}, {"", false}} {
		got, err := accounts.VerifyPassword(tt.pw, h)
		if err != nil || got != tt.want {
			t.Errorf("verify %q: %v %v, want %v", tt.pw, got, err, tt.want)
		}
	}
	h2, _ := accounts.HashPassword("s3cret password", accounts.DefaultHashParams)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$x",
		strings.Replace(h, "m=19456", "m=99999999", 1)} {
		if ok, err := accounts.VerifyPassword("x", bad); ok || err == nil {
			t.Errorf("malformed hash %q: %v %v", bad, ok, err)
		}
	}
}
