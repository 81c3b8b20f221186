package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"fayun/calls"
	"fayun/dialog/law"
	"fayun/lawyers"
)

// CallRecords is what the web layer needs of the stored calls.
type CallRecords interface {
	TranscriptByToken(ctx context.Context, token string) (calls.Transcript, error)
	Rate(ctx context.Context, callID, token string, score int, comment string) error
}

// Articles looks statute articles up by full law title and number.
type Articles interface {
	Article(title string, n int) (law.Article, bool)
}

// articleJSON is an article as /api/articles shows it.
type articleJSON struct {
	Law     string `json:"law"`
	Article int    `json:"article"`
	Label   string `json:"label"`
	Chapter string `json:"chapter"`
	Text    string `json:"text"`
}

func (s *Server) apiArticle(w http.ResponseWriter, r *http.Request) {
	title := r.URL.Query().Get("law")
	n, err := strconv.Atoi(r.URL.Query().Get("article"))
	if title == "" || err != nil || n <= 0 {
		writeError(w, http.StatusBadRequest, "bad_parameter",
			"give law (full title) and article (a positive number)")
		return
	}
	if s.cfg.Articles == nil {
		writeError(w, http.StatusServiceUnavailable, "no_library",
			"the statute library has not been imported on this server")
		return
	}
	a, ok := s.cfg.Articles.Article(title, n)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown_article", "no such article in the library")
		return
	}
	writeJSON(w, http.StatusOK, articleJSON{Law: title, Article: n, Label: a.Label(),
		Chapter: strings.Join(a.Path, " "), Text: a.Text()})
}

// ratingRequest is the body of POST /api/calls/{id}/rating.
type ratingRequest struct {
	Token   string `json:"token"`
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

func (s *Server) apiRate(w http.ResponseWriter, r *http.Request) {
	var req ratingRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<10))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "send JSON {token, score, comment}")
		return
	}
	if req.Score < 1 || req.Score > 5 {
		writeError(w, http.StatusBadRequest, "bad_score", "score must be 1 to 5")
		return
	}
	if utf8.RuneCountInString(req.Comment) > 1000 {
		writeError(w, http.StatusBadRequest, "comment_too_long", "comment is over 1,000 characters")
		return
	}
	err := s.cfg.Calls.Rate(r.Context(), r.PathValue("id"), req.Token, req.Score,
		strings.TrimSpace(req.Comment))
	switch {
	case errors.Is(err, calls.ErrNotFound):
		writeError(w, http.StatusNotFound, "unknown_call", "no call matches this id and token")
	case errors.Is(err, calls.ErrRated):
		writeError(w, http.StatusConflict, "already_rated", "this call has already been rated")
	case err != nil:
		s.cfg.Log.ErrorContext(r.Context(), "rate call", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "try again shortly")
	default:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

// transcriptData is what the transcript page shows.
type transcriptData struct {
	T      calls.Transcript
	Lawyer lawyers.Lawyer
}

func (s *Server) transcriptPage(w http.ResponseWriter, r *http.Request) {
	t, err := s.cfg.Calls.TranscriptByToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, calls.ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "notfound", "transcript_missing", nil)
		return
	}
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "read transcript", "err", err)
		http.Error(w, "服务暂时不可用，请稍后重试 / Service unavailable, please retry",
			http.StatusServiceUnavailable)
		return
	}
	l, _ := s.cfg.Directory.Get(r.Context(), t.LawyerID)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "transcript", "transcript_title", transcriptData{T: t, Lawyer: l})
}
