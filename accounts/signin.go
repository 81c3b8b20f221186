package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SignIn checks login (email, or lawyer number) and password, refusing while the
// account or the client address has too many recent failures, and on success starts a
// session and sets its cookie. Unknown logins take as long as wrong passwords.
func (s *Service) SignIn(w http.ResponseWriter, r *http.Request, login, password string) (*Session,
	error) {
	ctx := r.Context()
	login = normalizeEmail(login)
	ip := ClientIP(r)
	if login == "" || len(login) > 200 || len(password) > 1000 {
		return nil, ErrBadCredentials
	}
	if err := s.throttled(ctx, login, ip); err != nil {
		return nil, err
	}
	a, err := s.ByLogin(ctx, login)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	ok := false
	if err == nil && a.HasPassword && !a.Disabled {
		var hash string
		if err := s.pool.QueryRow(ctx, "SELECT password_hash FROM accounts WHERE id = $1",
			a.ID).Scan(&hash); err != nil {
			return nil, fmt.Errorf("accounts: read hash: %w", err)
		}
		ok, err = VerifyPassword(password, hash)
		if err != nil {
			s.cfg.Log.ErrorContext(ctx, "verify password", "account_id", a.ID, "err", err)
		}
	} else {
		_, _ = VerifyPassword(password, s.dummyHash)
	}
	if !ok {
		s.recordFailure(ctx, login, ip)
		s.cfg.Log.InfoContext(ctx, "sign-in failed", "ip", ip)
		return nil, ErrBadCredentials
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM signin_failures WHERE scope = 'login' AND key = $1",
		failureKey(a)); err != nil {
		s.cfg.Log.WarnContext(ctx, "clear sign-in failures", "err", err)
	}
	sess, err := s.StartSession(w, r, a)
	if err != nil {
		return nil, err
	}
	s.cfg.Log.InfoContext(ctx, "signed in", "account_id", a.ID, "role", a.Role)
	return sess, nil
}

// failureKey names an account in signin_failures, so that the email and the lawyer
// number of one account share one counter.
func failureKey(a Account) string { return fmt.Sprintf("account:%d", a.ID) }

func (s *Service) loginKey(ctx context.Context, login string) string {
	if a, err := s.ByLogin(ctx, login); err == nil {
		return failureKey(a)
	}
	return "login:" + strings.ToLower(login)
}

func (s *Service) throttled(ctx context.Context, login, ip string) error {
	since := s.cfg.Now().Add(-s.cfg.FailureWindow)
	var byLogin, byIP int
	err := s.pool.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE scope = 'login' AND key = $1),
       count(*) FILTER (WHERE scope = 'ip' AND key = $2)
FROM signin_failures
WHERE at > $3 AND ((scope = 'login' AND key = $1) OR (scope = 'ip' AND key = $2))`,
		s.loginKey(ctx, login), ip, since).Scan(&byLogin, &byIP)
	if err != nil {
		return fmt.Errorf("accounts: count failures: %w", err)
	}
	if byLogin >= s.cfg.MaxFailures || byIP >= s.cfg.MaxFailuresIP {
		s.cfg.Log.WarnContext(ctx, "sign-in throttled", "ip", ip, "by_login", byLogin, "by_ip", byIP)
		return ErrThrottled
	}
	return nil
}

func (s *Service) recordFailure(ctx context.Context, login, ip string) {
	now := s.cfg.Now()
	_, err := s.pool.Exec(ctx, `
INSERT INTO signin_failures (scope, key, at) VALUES ('login', $1, $3), ('ip', $2, $3)`,
		s.loginKey(ctx, login), ip, now)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "record sign-in failure", "err", err)
	}
}
