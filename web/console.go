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
	// Labels name topics (specialty codes) and handoff reasons in the page's language.
	Labels map[string]map[string]string
}

// handoffReasons names the reasons a call is handed to a lawyer (dialog/handoff).
var handoffReasons = map[string][2]string{
	"explicit_request": {"咨询人要求真人律师", "The caller asked for a lawyer"},
	"user_request":     {"咨询人要求真人律师", "The caller asked for a lawyer"},
	"criminal":         {"涉及刑事问题", "Criminal matter"},
	"litigation":       {"已在诉讼或仲裁中", "Lawsuit or arbitration under way"},
	"drafting":         {"需要起草或审阅文书", "Document to draft or review"},
	"large_sum":        {"涉案金额较大", "Large sum at stake"},
	"repeated_failure": {"数字律师多次未能回答", "The avatar could not answer"},
	"model_request":    {"数字律师建议转接", "The avatar suggested a lawyer"},
}

func consoleLabels(lang string) map[string]map[string]string {
	topics, reasons := map[string]string{}, map[string]string{}
	for _, sp := range lawyers.Specialties {
		topics[sp.Code] = lawyers.SpecialtyName(sp.Code, lang)
	}
	for code, names := range handoffReasons {
		if lang == "en" {
			reasons[code] = names[1]
		} else {
			reasons[code] = names[0]
		}
	}
	return map[string]map[string]string{"topics": topics, "reasons": reasons}
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
		consoleData{Lawyer: l, CSRF: sess.CSRFToken(), Labels: consoleLabels(language(w, r))})
}
