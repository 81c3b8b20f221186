// Package web serves Fayun's pages, scripts and styles (embedded in the binary) and the
// JSON API behind them. It holds no business rules: it asks the domain packages and
// turns their answers into HTTP.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"fayun/accounts"
	"fayun/lawyers"
)

//go:embed static templates
var assets embed.FS

// Directory is what the web layer needs of the lawyer directory.
type Directory interface {
	List(ctx context.Context, f lawyers.Filter) ([]lawyers.Lawyer, error)
	Get(ctx context.Context, id int) (lawyers.Lawyer, error)
}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds what the web server is built from.
type Config struct {
	Log       *slog.Logger
	Directory Directory
	DB        Pinger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Calls reads call records for transcripts and ratings.
	Calls CallRecords
	// Articles looks statute articles up; nil when the library is not imported.
	Articles Articles
	// Recording says that callers' audio is recorded; the call page announces it.
	Recording bool
	// Accounts signs lawyers and staff in; nil leaves out /signin, /signout and /invite.
	Accounts *accounts.Service
	// Mount adds routes owned by other packages (avatars, signaling, …) to the mux.
	Mount func(mux *http.ServeMux)
}

// Server is the HTTP front of Fayun.
type Server struct {
	cfg   Config
	pages *pages
	mux   *http.ServeMux
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: p, mux: http.NewServeMux()}
	static, _ := fs.Sub(assets, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /api/lawyers", s.apiLawyers)
	s.mux.HandleFunc("GET /api/lawyers/{id}", s.apiLawyer)
	s.mux.HandleFunc("GET /api/specialties", s.apiSpecialties)
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("GET /call/{id}", s.callPage)
	s.mux.HandleFunc("GET /api/articles", s.apiArticle)
	if cfg.Calls != nil {
		s.mux.HandleFunc("POST /api/calls/{id}/rating", s.apiRate)
		s.mux.HandleFunc("GET /transcripts/{token}", s.transcriptPage)
	}
	if cfg.Accounts != nil {
		s.mountAccounts()
	}
	if cfg.Mount != nil {
		cfg.Mount(s.mux)
	}
	return s, nil
}

// Handler returns the server's handler with request metrics around it.
func (s *Server) Handler() http.Handler {
	return instrument(s.cfg.Registry, s.mux)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.DB.Ping(ctx); err != nil {
		s.cfg.Log.WarnContext(ctx, "health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{
			"status": "unavailable", "reason": "database does not answer",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error   string `json:"error"`   // stable snake_case code
	Message string `json:"message"` // for people
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache") // embedded files carry no dates; always revalidate
		h.ServeHTTP(w, r)
	})
}
