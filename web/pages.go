package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"fayun/lawyers"
)

// pages holds the parsed page templates, one per page, each with the shared layout.
type pages struct {
	byName map[string]*template.Template
}

func loadPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	names, err := assetsGlob("templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		p.byName[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return p, nil
}

var funcs = template.FuncMap{
	"specialtyName": lawyers.SpecialtyName,
	"initial": func(name string) string {
		for _, r := range name {
			return string(r)
		}
		return "?"
	},
}

// page is what every template receives.
type page struct {
	Lang  string // "zh" or "en"
	T     map[string]string
	Title string
	Path  string // request path, for the language toggle
	Data  any
}

// render writes the named page. The page is rendered into a buffer first so a
// template error becomes a clean 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string,
	data any) {
	lang := language(w, r)
	t := texts[lang]
	var buf bytes.Buffer
	err := s.pages.byName[name].Execute(&buf, page{
		Lang: lang, T: t, Title: t[titleKey], Path: r.URL.Path, Data: data,
	})
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "页面出错，请刷新重试 / Page error, please reload", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// language picks the page language: ?lang= wins and is remembered in a cookie; then the
// cookie; then Chinese.
func language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	return "zh"
}

// homeData is what the directory page shows.
type homeData struct {
	Lawyers     []lawyers.Lawyer
	Specialties []lawyers.Specialty
	Districts   []string
	Filter      lawyers.Filter
	Error       string
	OnDuty      int
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, msg := parseFilter(q)
	d := homeData{Specialties: lawyers.Specialties, Districts: lawyers.Districts, Filter: f}
	status := http.StatusOK
	if msg != "" {
		d.Error = "filter"
		d.Filter = lawyers.Filter{}
		status = http.StatusBadRequest
	} else {
		ls, err := s.cfg.Directory.List(r.Context(), f)
		if err != nil {
			s.cfg.Log.ErrorContext(r.Context(), "list lawyers", "err", err)
			d.Error = "unavailable"
			status = http.StatusServiceUnavailable
		}
		d.Lawyers = ls
		for _, l := range ls {
			if l.OnDuty {
				d.OnDuty++
			}
		}
	}
	s.render(w, r, status, "home", "home_title", d)
}
