package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// CookieName is the session cookie. Its value is 32 random bytes, base64url; the
// database keeps only their SHA-256.
const CookieName = "fayun_session"

// Session is a signed-in browser.
type Session struct {
	Account   Account
	CreatedAt time.Time
	ExpiresAt time.Time

	idHash     []byte
	csrfSecret []byte
}

// CSRFToken returns the token that state-changing requests of this session must carry
// (form field "csrf_token" or header "X-CSRF-Token"). It is an HMAC of a secret kept
// with the session, so it is worthless in any other session, including a later one of
// the same person.
func (s *Session) CSRFToken() string {
	m := hmac.New(sha256.New, s.csrfSecret)
	m.Write([]byte("fayun csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether token belongs to this session.
func (s *Session) CheckCSRF(token string) bool {
	want := s.CSRFToken()
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

func randomToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("accounts: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), b, nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// StartSession creates a session for account a and sets its cookie on w.
func (s *Service) StartSession(w http.ResponseWriter, r *http.Request, a Account) (*Session, error) {
	token, _, err := randomToken()
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("accounts: csrf secret: %w", err)
	}
	now := s.cfg.Now()
	sess := &Session{Account: a, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL),
		idHash: tokenHash(token), csrfSecret: secret}
	_, err = s.pool.Exec(r.Context(), `
INSERT INTO sessions (id_hash, account_id, csrf_secret, ip, user_agent, created_at,
                      last_seen_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
		sess.idHash, a.ID, secret, ClientIP(r), truncate(r.UserAgent(), 300), now, sess.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("accounts: start session: %w", err)
	}
	http.SetCookie(w, s.cookie(r, token, int(s.cfg.SessionMaxAge/time.Second)))
	return sess, nil
}

func (s *Service) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode}
}

// Current returns the session of the request's cookie, extending it when it was last
// seen more than a minute ago. ErrSignedOut means no cookie, an unknown or tampered
// one, an expired session or a disabled account.
func (s *Service) Current(r *http.Request) (*Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || len(c.Value) != 43 {
		return nil, ErrSignedOut
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return nil, ErrSignedOut
	}
	return s.lookup(r.Context(), tokenHash(c.Value))
}

func (s *Service) lookup(ctx context.Context, idHash []byte) (*Session, error) {
	now := s.cfg.Now()
	sess := &Session{idHash: idHash}
	var lastSeen time.Time
	a, err := scanAccount(s.pool.QueryRow(ctx, `
SELECT s.csrf_secret, s.created_at, s.last_seen_at, s.expires_at, `+prefixed("a.")+`
FROM sessions s JOIN accounts a ON a.id = s.account_id
WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT a.disabled`, idHash, now),
		&sess.csrfSecret, &sess.CreatedAt, &lastSeen, &sess.ExpiresAt)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrSignedOut
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: read session: %w", err)
	}
	sess.Account = a
	if now.Sub(lastSeen) > time.Minute {
		exp := now.Add(s.cfg.SessionTTL)
		if maxExp := sess.CreatedAt.Add(s.cfg.SessionMaxAge); exp.After(maxExp) {
			exp = maxExp
		}
		_, err := s.pool.Exec(ctx,
			"UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1",
			idHash, now, exp)
		if err != nil {
			s.cfg.Log.WarnContext(ctx, "extend session", "err", err)
		} else {
			sess.ExpiresAt = exp
		}
	}
	return sess, nil
}

// SignOut ends the request's session, if any, and clears the cookie.
func (s *Service) SignOut(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, s.cookie(r, "", -1))
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	if _, err := s.pool.Exec(r.Context(), "DELETE FROM sessions WHERE id_hash = $1",
		tokenHash(c.Value)); err != nil {
		return fmt.Errorf("accounts: sign out: %w", err)
	}
	return nil
}

// PurgeExpired deletes expired sessions, used invitations and old failures.
func (s *Service) PurgeExpired(ctx context.Context) error {
	now := s.cfg.Now()
	b := &pgx.Batch{}
	b.Queue("DELETE FROM sessions WHERE expires_at <= $1", now)
	b.Queue("DELETE FROM account_invites WHERE expires_at <= $1", now)
	b.Queue("DELETE FROM signin_failures WHERE at <= $1", now.Add(-s.cfg.FailureWindow))
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("accounts: purge: %w", err)
	}
	return nil
}

// ClientIP is the address the request came from (the TCP peer; proxies are not
// trusted).
func ClientIP(r *http.Request) string {
	// TODO: honour X-Forwarded-For from a configured trusted proxy; behind a load
	// balancer every client shares one address and the per-address limit bites early.
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
