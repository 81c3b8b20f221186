package web

import (
	"net/http"

	"fayun/accounts"
	"fayun/lawyers"
)

// consoleData is what the console page receives; the script fetches the rest.
type consoleData struct {
	Lawyer lawyers.Lawyer
	CSRF   string
}

// mountConsole adds the lawyer console page, for signed-in lawyers only.
func (s *Server) mountConsole() {
	guard := s.cfg.Accounts.RequireRole(accounts.RoleLawyer)
	s.mux.Handle("GET /console", guard(http.HandlerFunc(s.consolePage)))
}

func (s *Server) consolePage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	sess, _ := accounts.FromContext(r.Context())
	l, err := s.cfg.Directory.Get(r.Context(), sess.Account.LawyerID)
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "console lawyer", "err", err)
		http.Error(w, "律师信息暂时无法加载 / Lawyer record unavailable", http.StatusServiceUnavailable)
		return
	}
	s.render(w, r, http.StatusOK, "console", "console_title",
		consoleData{Lawyer: l, CSRF: sess.CSRFToken()})
}
