package web

import (
	"errors"
	"net/http"
	"strconv"

	"fayun/lawyers"
)

// callData is what the call page shows before the call starts.
type callData struct {
	Lawyer      lawyers.Lawyer
	Recording   bool
	Stars       []int
	ScriptTexts map[string]string
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		s.render(w, r, http.StatusNotFound, "notfound", "not_found_title", nil)
		return
	}
	l, err := s.cfg.Directory.Get(r.Context(), id)
	if errors.Is(err, lawyers.ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "notfound", "not_found_title", nil)
		return
	}
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "get lawyer", "lawyer_id", id, "err", err)
		http.Error(w, "服务暂时不可用，请稍后重试 / Service unavailable, please retry",
			http.StatusServiceUnavailable)
		return
	}
	s.render(w, r, http.StatusOK, "call", "call_title", callData{
		Lawyer: l, Recording: s.cfg.Recording, Stars: []int{1, 2, 3, 4, 5},
		ScriptTexts: scriptTexts[language(w, r)],
	})
}
