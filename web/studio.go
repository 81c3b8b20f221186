package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"fayun/accounts"
	"fayun/lawyers"
	"fayun/worker/clips"
)

// studioData is what the studio page receives; the script fetches the clip list.
type studioData struct {
	CSRF       string
	Lawyers    []lawyers.Lawyer
	MaxScript  int
	MaxTitle   int
	Sizes      []string
	StaffName  string
	IsOperator bool
}

// studioClip is a clip as the studio script sees it.
type studioClip struct {
	clips.Clip
	Size       string            `json:"size"`
	LawyerName string            `json:"lawyer_name"`
	URLs       map[string]string `json:"urls"`
}

// MountStudio adds the clip studio for signed-in staff and operators: the page
// /studio, its JSON API under /api/studio/, live progress as server-sent events and
// the finished files with range requests. It needs Config.Accounts.
func (s *Server) MountStudio(st *clips.Service) error {
	if s.cfg.Accounts == nil {
		return errors.New("web: the studio needs accounts")
	}
	guard := s.cfg.Accounts.RequireRole(accounts.RoleStaff, accounts.RoleOperator)
	h := &studio{s: s, clips: st}
	routes := map[string]http.HandlerFunc{
		"GET /studio":                        h.page,
		"GET /api/studio/clips":              h.list,
		"POST /api/studio/clips":             h.create,
		"POST /api/studio/clips/{id}/cancel": h.cancel,
		"POST /api/studio/clips/{id}/retry":  h.retry,
		"POST /api/studio/preview":           h.preview,
		"GET /api/studio/events":             h.events,
		"GET /studio/clips/{id}/{format}":    h.file,
	}
	for pattern, fn := range routes {
		s.mux.Handle(pattern, guard(fn))
	}
	return nil
}

type studio struct {
	s     *Server
	clips *clips.Service
}

// owner returns the owner key of the signed-in account and whether it sees all clips.
func owner(r *http.Request) (string, bool) {
	sess, ok := accounts.FromContext(r.Context())
	if !ok {
		return "", false
	}
	return strconv.FormatInt(sess.Account.ID, 10), sess.Account.Role == accounts.RoleOperator
}

func (h *studio) page(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	sess, _ := accounts.FromContext(r.Context())
	ls, err := h.s.cfg.Directory.List(r.Context(), lawyers.Filter{})
	if err != nil {
		h.s.cfg.Log.ErrorContext(r.Context(), "studio lawyers", "err", err)
		http.Error(w, "律师名录暂时无法加载 / Directory unavailable", http.StatusServiceUnavailable)
		return
	}
	d := studioData{CSRF: sess.CSRFToken(), Lawyers: ls, MaxScript: clips.MaxScriptRunes,
		MaxTitle: clips.MaxTitleRunes, StaffName: sess.Account.Name,
		IsOperator: sess.Account.Role == accounts.RoleOperator}
	for _, sz := range clips.Sizes {
		d.Sizes = append(d.Sizes, sz.String())
	}
	h.s.render(w, r, http.StatusOK, "studio", "studio_title", d)
}

// view turns a clip into its JSON form with its file URLs.
func (h *studio) view(r *http.Request, c clips.Clip) studioClip {
	v := studioClip{Clip: c, Size: c.Size.String(), URLs: map[string]string{}}
	if l, err := h.s.cfg.Directory.Get(r.Context(), c.LawyerID); err == nil {
		v.LawyerName = l.Name
	}
	for _, f := range c.Files {
		v.URLs[string(f.Format)] = fmt.Sprintf("/studio/clips/%d/%s", c.ID, f.Format)
	}
	return v
}

// load returns the clip named in the path if the signed-in account may see it.
func (h *studio) load(w http.ResponseWriter, r *http.Request) (clips.Clip, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such clip")
		return clips.Clip{}, false
	}
	c, err := h.clips.Get(r.Context(), id)
	me, all := owner(r)
	if errors.Is(err, clips.ErrNotFound) || err == nil && c.Owner != me && !all {
		writeError(w, http.StatusNotFound, "not_found", "no such clip")
		return clips.Clip{}, false
	}
	if err != nil {
		h.fail(w, r, err)
		return clips.Clip{}, false
	}
	return c, true
}

func (h *studio) fail(w http.ResponseWriter, r *http.Request, err error) {
	var re *clips.RequestError
	switch {
	case errors.As(err, &re):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_" + re.Field,
			"field": re.Field, "message": re.Msg})
	case errors.Is(err, clips.ErrState):
		writeError(w, http.StatusConflict, "wrong_state", "not possible in the clip's current state")
	case errors.Is(err, clips.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such clip")
	default:
		h.s.cfg.Log.ErrorContext(r.Context(), "studio request failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "please try again shortly")
	}
}

func (h *studio) listFor(r *http.Request) ([]studioClip, error) {
	me, all := owner(r)
	if all {
		me = "*"
	}
	cs, err := h.clips.List(r.Context(), me, 50)
	if err != nil {
		return nil, err
	}
	out := make([]studioClip, len(cs))
	for i, c := range cs {
		out[i] = h.view(r, c)
	}
	return out, nil
}

func (h *studio) list(w http.ResponseWriter, r *http.Request) {
	out, err := h.listFor(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// clipForm is the JSON body of a new clip or a voice preview.
type clipForm struct {
	Lawyer    int      `json:"lawyer"`
	Script    string   `json:"script"`
	Lang      string   `json:"lang"`
	Size      string   `json:"size"`
	Formats   []string `json:"formats"`
	Subtitles bool     `json:"subtitles"`
	Title     string   `json:"title"`
	Speed     float64  `json:"speed"`
	Pitch     int      `json:"pitch"`
}

// request decodes the form (at most 64 KiB) into a clip request.
func (h *studio) request(w http.ResponseWriter, r *http.Request) (clips.Request, bool) {
	var f clipForm
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&f); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", "the request body is not valid JSON")
		return clips.Request{}, false
	}
	me, _ := owner(r)
	req := clips.Request{Owner: me, LawyerID: f.Lawyer, Script: f.Script, Lang: f.Lang,
		Subtitles: f.Subtitles, Title: f.Title, Speed: f.Speed, Pitch: f.Pitch}
	if f.Size != "" {
		sz, err := clips.ParseSize(f.Size)
		if err != nil {
			h.fail(w, r, err)
			return clips.Request{}, false
		}
		req.Size = sz
	}
	for _, x := range f.Formats {
		req.Formats = append(req.Formats, clips.Format(x))
	}
	return req, true
}

func (h *studio) create(w http.ResponseWriter, r *http.Request) {
	req, ok := h.request(w, r)
	if !ok {
		return
	}
	c, err := h.clips.Queue(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, h.view(r, c))
}

func (h *studio) cancel(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	if err := h.clips.Cancel(r.Context(), c.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	c, _ = h.clips.Get(r.Context(), c.ID)
	writeJSON(w, http.StatusOK, h.view(r, c))
}

func (h *studio) retry(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	c, err := h.clips.Retry(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.view(r, c))
}

func (h *studio) preview(w http.ResponseWriter, r *http.Request) {
	req, ok := h.request(w, r)
	if !ok {
		return
	}
	b, err := h.clips.Preview(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// file serves a finished clip with range requests, so players can seek.
func (h *studio) file(w http.ResponseWriter, r *http.Request) {
	c, ok := h.load(w, r)
	if !ok {
		return
	}
	f := clips.Format(r.PathValue("format"))
	fh, file, err := h.clips.Open(c, f)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "this clip has no such file")
		return
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("ETag", `"`+file.SHA256+`"`)
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition",
			fmt.Sprintf(`attachment; filename="fayun-clip-%d.%s"`, c.ID, f))
	}
	http.ServeContent(w, r, "", st.ModTime(), fh)
}

// events streams clip changes as server-sent events: "clips" with the whole list
// first and every 15 s, "clip" with one clip whenever it changes (pushed across
// processes through Postgres LISTEN/NOTIFY).
func (h *studio) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	ch, stop := h.clips.Subscribe()
	defer stop()
	me, all := owner(r)
	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	sendList := func() bool {
		list, err := h.listFor(r)
		if err != nil {
			return true // keep the stream; the next tick tries again
		}
		return send("clips", list)
	}
	if !sendList() {
		return
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !sendList() {
				return
			}
		case id, ok := <-ch:
			if !ok {
				return
			}
			if id == 0 {
				if !sendList() {
					return
				}
				continue
			}
			c, err := h.clips.Get(r.Context(), id)
			if err != nil || c.Owner != me && !all {
				continue
			}
			if !send("clip", h.view(r, c)) {
				return
			}
		}
	}
}
