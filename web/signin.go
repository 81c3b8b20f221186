package web

import (
	"errors"
	"net/http"
	"strings"

	"fayun/accounts"
)

// formPage is what the sign-in and invitation pages receive.
type formPage struct {
	CSRF    string
	Next    string
	Login   string
	Error   string // key into texts
	Account accounts.Account
	Token   string
}

// mountAccounts adds sign-in, sign-out and invitation routes.
func (s *Server) mountAccounts() {
	s.mux.HandleFunc("GET /signin", s.signinPage)
	s.mux.HandleFunc("POST /signin", s.signinPost)
	s.mux.HandleFunc("POST /signout", s.signoutPost)
	s.mux.HandleFunc("GET /invite/{token}", s.invitePage)
	s.mux.HandleFunc("POST /invite/{token}", s.invitePost)
	s.mountConsole()
}

// homeFor is where a role lands after sign-in when no page was asked for.
func homeFor(r accounts.Role) string {
	switch r {
	case accounts.RoleStaff:
		return "/studio"
	case accounts.RoleOperator:
		return "/admin"
	default:
		return "/console"
	}
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	next := r.URL.Query().Get("next")
	if !accounts.SafeNext(next) {
		next = ""
	}
	if sess, err := s.cfg.Accounts.Current(r); err == nil {
		if next == "" {
			next = homeFor(sess.Account.Role)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := formPage{CSRF: s.cfg.Accounts.FormToken(w, r), Next: next}
	s.render(w, r, http.StatusOK, "signin", "signin_title", d)
}

func (s *Server) signinPost(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	next := r.PostFormValue("next")
	if !accounts.SafeNext(next) {
		next = ""
	}
	d := formPage{Next: next, Login: strings.TrimSpace(r.PostFormValue("login"))}
	status := http.StatusOK
	if err := s.cfg.Accounts.CheckForm(r); err != nil {
		d.Error, status = "signin_err_csrf", http.StatusForbidden
	} else {
		sess, err := s.cfg.Accounts.SignIn(w, r, d.Login, r.PostFormValue("password"))
		switch {
		case err == nil:
			if next == "" {
				next = homeFor(sess.Account.Role)
			}
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		case errors.Is(err, accounts.ErrThrottled):
			d.Error, status = "signin_err_throttled", http.StatusTooManyRequests
			w.Header().Set("Retry-After", "900")
		case errors.Is(err, accounts.ErrBadCredentials):
			d.Error, status = "signin_err_bad", http.StatusUnauthorized
		default:
			s.cfg.Log.ErrorContext(r.Context(), "sign in", "err", err)
			d.Error, status = "signin_err_unavailable", http.StatusServiceUnavailable
		}
	}
	d.CSRF = s.cfg.Accounts.FormToken(w, r)
	s.render(w, r, status, "signin", "signin_title", d)
}

func (s *Server) signoutPost(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := s.cfg.Accounts.CheckForm(r); err != nil {
		http.Error(w, "页面已过期，请刷新后重试 / The page expired, please reload", http.StatusForbidden)
		return
	}
	if err := s.cfg.Accounts.SignOut(w, r); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "sign out", "err", err)
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	token := r.PathValue("token")
	a, err := s.cfg.Accounts.Invitation(r.Context(), token)
	d := formPage{Token: token, Account: a}
	status := http.StatusOK
	if err != nil {
		d.Error, status = "invite_err_invalid", http.StatusNotFound
		if !errors.Is(err, accounts.ErrInviteInvalid) {
			s.cfg.Log.ErrorContext(r.Context(), "read invitation", "err", err)
			d.Error, status = "signin_err_unavailable", http.StatusServiceUnavailable
		}
	}
	d.CSRF = s.cfg.Accounts.FormToken(w, r)
	s.render(w, r, status, "invite", "invite_title", d)
}

func (s *Server) invitePost(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	token := r.PathValue("token")
	d := formPage{Token: token}
	status := http.StatusOK
	a, err := s.cfg.Accounts.Invitation(r.Context(), token)
	d.Account = a
	pw := r.PostFormValue("password")
	switch {
	case s.cfg.Accounts.CheckForm(r) != nil:
		d.Error, status = "signin_err_csrf", http.StatusForbidden
	case err != nil:
		d.Error, status = "invite_err_invalid", http.StatusNotFound
	case pw != r.PostFormValue("password2"):
		d.Error, status = "invite_err_mismatch", http.StatusBadRequest
	default:
		a, err = s.cfg.Accounts.AcceptInvite(r.Context(), token, pw)
		switch {
		case errors.Is(err, accounts.ErrWeakPassword):
			d.Error, status = "invite_err_weak", http.StatusBadRequest
		case errors.Is(err, accounts.ErrInviteInvalid):
			d.Error, status = "invite_err_invalid", http.StatusNotFound
		case err != nil:
			s.cfg.Log.ErrorContext(r.Context(), "accept invitation", "err", err)
			d.Error, status = "signin_err_unavailable", http.StatusServiceUnavailable
		default:
			if _, err := s.cfg.Accounts.StartSession(w, r, a); err != nil {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, homeFor(a.Role), http.StatusSeeOther)
			return
		}
	}
	d.CSRF = s.cfg.Accounts.FormToken(w, r)
	s.render(w, r, status, "invite", "invite_title", d)
}
