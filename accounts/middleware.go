package accounts

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

type ctxKey struct{}

// FromContext returns the session RequireRole put into a request's context.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*Session)
	return s, ok
}

// WithSession returns ctx carrying sess, as RequireRole does.
func WithSession(ctx context.Context, sess *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, sess)
}

// CSRFHeader and CSRFField carry the CSRF token of fetch requests and of forms.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// RequireRole returns middleware that lets a request through only with a valid session
// whose account has one of roles (any role when none is given), puts the session into
// the request's context (FromContext), and refuses state-changing methods (anything
// but GET, HEAD, OPTIONS) without the session's CSRF token in the X-CSRF-Token header
// or the csrf_token form field.
//
// Refusals: a page request (one whose Accept names text/html) without a session is
// redirected (302) to /signin?next=PATH; any other request gets 401 JSON
// {"error":"signed_out"}. A wrong role gets 403 ("forbidden"), a bad CSRF token 403
// ("csrf").
func (s *Service) RequireRole(roles ...Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess, err := s.Current(r)
			if err != nil {
				if err != ErrSignedOut {
					s.cfg.Log.ErrorContext(r.Context(), "read session", "err", err)
					refuse(w, r, http.StatusServiceUnavailable, "unavailable",
						"暂时无法验证登录，请稍后重试 / Cannot check your sign-in, please retry")
					return
				}
				if wantsPage(r) {
					http.Redirect(w, r, SignInURL(r.URL.RequestURI()), http.StatusFound)
					return
				}
				refuse(w, r, http.StatusUnauthorized, "signed_out", "请先登录 / Please sign in")
				return
			}
			if len(roles) > 0 && !slices.Contains(roles, sess.Account.Role) {
				refuse(w, r, http.StatusForbidden, "forbidden",
					"您的账户无权访问此页 / Your account may not open this page")
				return
			}
			if !safeMethod(r.Method) && !sess.CheckCSRF(requestCSRF(r)) {
				s.cfg.Log.WarnContext(r.Context(), "csrf token refused", "account_id", sess.Account.ID,
					"path", r.URL.Path)
				refuse(w, r, http.StatusForbidden, "csrf",
					"页面已过期，请刷新后重试 / The page expired, please reload and retry")
				return
			}
			next.ServeHTTP(w, r.WithContext(WithSession(r.Context(), sess)))
		})
	}
}

// SignInURL is the sign-in page that returns to next afterwards.
func SignInURL(next string) string {
	if !SafeNext(next) {
		return "/signin"
	}
	return "/signin?next=" + url.QueryEscape(next)
}

// SafeNext reports whether next is a local path to return to after sign-in (not an
// absolute or protocol-relative URL that would send the person elsewhere).
func SafeNext(next string) bool {
	return strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") &&
		!strings.HasPrefix(next, "/\\") && !strings.ContainsAny(next, "\r\n")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func requestCSRF(r *http.Request) string {
	if t := r.Header.Get(CSRFHeader); t != "" {
		return t
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") ||
		strings.HasPrefix(ct, "multipart/form-data") {
		return r.PostFormValue(CSRFField)
	}
	return ""
}

func wantsPage(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

func refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if wantsPage(r) || (r.Method == http.MethodPost && r.Header.Get(CSRFHeader) == "" &&
		strings.Contains(r.Header.Get("Accept"), "text/html")) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(msg + "\n"))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg})
}

// formCookie holds the pre-session CSRF token of the sign-in and invitation forms
// (double submit: the form field must equal the cookie).
const formCookie = "fayun_form"

// FormToken returns the CSRF token a form on this page must carry: the session's when
// signed in, otherwise a pre-session token it sets in a cookie, so that another site
// cannot sign a visitor in to an account of its choosing.
func (s *Service) FormToken(w http.ResponseWriter, r *http.Request) string {
	if sess, err := s.Current(r); err == nil {
		return sess.CSRFToken()
	}
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	token, _, err := randomToken()
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return token
}

// CheckForm checks the CSRF token of a form posted from a FormToken page. It returns
// ErrCSRF when the token is missing or matches neither the session nor the
// pre-session cookie.
func (s *Service) CheckForm(r *http.Request) error {
	got := requestCSRF(r)
	if got == "" {
		return ErrCSRF
	}
	if sess, err := s.Current(r); err == nil && sess.CheckCSRF(got) {
		return nil
	}
	c, err := r.Cookie(formCookie)
	if err != nil || len(c.Value) != 43 || subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) != 1 {
		return ErrCSRF
	}
	return nil
}
