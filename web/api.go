package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"fayun/lawyers"
)

// lawyerJSON is a lawyer as the API shows it.
type lawyerJSON struct {
	lawyers.Lawyer
	SpecialtyNames []string `json:"specialty_names"` // Chinese names, in order
	Avatar         string   `json:"avatar"`          // portrait URL
	Thumb          string   `json:"thumb"`           // small portrait URL
}

func toJSON(l lawyers.Lawyer) lawyerJSON {
	names := make([]string, len(l.Specialties))
	for i, s := range l.Specialties {
		names[i] = lawyers.SpecialtyName(s, "zh")
	}
	id := strconv.Itoa(l.ID)
	return lawyerJSON{Lawyer: l, SpecialtyNames: names,
		Avatar: "/avatars/" + id + ".png", Thumb: "/avatars/" + id + "/thumb.png"}
}

// parseFilter reads the directory filter from a query string. It returns a message for
// people when a parameter is wrong.
func parseFilter(q url.Values) (lawyers.Filter, string) {
	for k := range q {
		switch k {
		case "specialty", "district", "q", "on_duty", "lang":
		default:
			return lawyers.Filter{}, "unknown parameter " + strconv.Quote(k) +
				"; use specialty, district, q or on_duty"
		}
	}
	f := lawyers.Filter{
		Specialty: q.Get("specialty"), District: q.Get("district"),
		Query: strings.TrimSpace(q.Get("q")),
	}
	if f.Specialty != "" && !lawyers.IsSpecialty(f.Specialty) {
		return f, "unknown specialty " + strconv.Quote(f.Specialty) + "; see /api/specialties"
	}
	if f.District != "" && !validDistrict(f.District) {
		return f, "unknown district " + strconv.Quote(f.District)
	}
	if utf8.RuneCountInString(f.Query) > 50 {
		return f, "q is longer than 50 characters"
	}
	switch q.Get("on_duty") {
	case "":
	case "true", "1":
		f.OnDuty = true
	case "false", "0":
	default:
		return f, "on_duty must be true or false"
	}
	return f, ""
}

func validDistrict(d string) bool {
	for _, x := range lawyers.Districts {
		if x == d {
			return true
		}
	}
	return false
}

func (s *Server) apiLawyers(w http.ResponseWriter, r *http.Request) {
	f, msg := parseFilter(r.URL.Query())
	if msg != "" {
		writeError(w, http.StatusBadRequest, "bad_parameter", msg)
		return
	}
	ls, err := s.cfg.Directory.List(r.Context(), f)
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "list lawyers", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable",
			"the directory is unavailable; try again shortly")
		return
	}
	out := make([]lawyerJSON, len(ls))
	for i, l := range ls {
		out[i] = toJSON(l)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiLawyer(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "bad_parameter", "lawyer id must be a positive number")
		return
	}
	l, err := s.cfg.Directory.Get(r.Context(), id)
	if errors.Is(err, lawyers.ErrNotFound) {
		writeError(w, http.StatusNotFound, "unknown_lawyer", "no lawyer has id "+strconv.Itoa(id))
		return
	}
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "get lawyer", "lawyer_id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable",
			"the directory is unavailable; try again shortly")
		return
	}
	writeJSON(w, http.StatusOK, toJSON(l))
}

func (s *Server) apiSpecialties(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, lawyers.Specialties)
}
