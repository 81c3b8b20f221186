// Package console serves the lawyer console's API and its WebSocket: duty status, the
// live handoff queue, request details with the transcript, accept and decline,
// callback requests, and joining a live call with camera and microphone. It also
// connects the queue to the calls of this node (the calls.Handoffs it implements).
package console

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"fayun/accounts"
	"fayun/calls"
	"fayun/dialog/answer"
	"fayun/handoffs"
	"fayun/lawyers"
)

// Directory is what the console needs of the lawyer directory.
type Directory interface {
	Get(ctx context.Context, id int) (lawyers.Lawyer, error)
	SetDuty(ctx context.Context, id int, onDuty bool) error
}

// Transcripts reads the turns of a call.
type Transcripts interface {
	Turns(ctx context.Context, callID string) ([]calls.StoredTurn, error)
}

// LiveCalls finds the calls this node holds.
type LiveCalls interface {
	Call(id string) (*calls.Call, bool)
}

// Config is what a Console is built from.
type Config struct {
	Log       *slog.Logger
	Accounts  *accounts.Service
	Queue     *handoffs.Queue
	Directory Directory
	Records   Transcripts
	// Calls is this node's call host; nil until the host exists (SetCalls).
	Calls LiveCalls
}

// Console is the lawyer console's server side.
type Console struct {
	cfg   Config
	calls LiveCalls
}

// New returns a console.
func New(cfg Config) *Console {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Console{cfg: cfg, calls: cfg.Calls}
}

// SetCalls sets the node's call host, which is built after the console because the
// host needs the console as its Handoffs. Call it before serving.
func (c *Console) SetCalls(l LiveCalls) { c.calls = l }

// Mount adds the console API and WebSocket to mux, all for signed-in lawyers only.
func (c *Console) Mount(mux *http.ServeMux) {
	guard := c.cfg.Accounts.RequireRole(accounts.RoleLawyer)
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, guard(f)) }
	h("GET /api/console/state", c.state)
	h("POST /api/console/duty", c.duty)
	h("GET /api/console/handoffs/{id}", c.detail)
	h("POST /api/console/handoffs/{id}/accept", c.accept)
	h("POST /api/console/handoffs/{id}/decline", c.decline)
	h("POST /api/console/handoffs/{id}/note", c.note)
	h("POST /api/console/callbacks/{id}/done", c.callbackDone)
	h("GET /ws/console", c.socket)
}

// --- calls.Handoffs ----------------------------------------------------------------

// Request implements calls.Handoffs: the request joins the queue. When nobody is on
// duty the caller is told at once.
func (c *Console) Request(ctx context.Context, r calls.HandoffRequest) error {
	h, err := c.cfg.Queue.Submit(ctx, handoffs.Request{CallID: r.CallID,
		PreferredLawyer: r.LawyerID, Topic: r.Topic, Reason: r.Reason, Summary: r.Summary,
		Lang: r.Lang})
	if errors.Is(err, handoffs.ErrOpen) {
		return nil // already waiting
	}
	if err != nil {
		return err
	}
	if h.Status == handoffs.Unanswered {
		go c.tellCaller(handoffs.Event{Handoff: h.ID, CallID: h.CallID, Kind: "unanswered"})
	}
	return nil
}

// Callback implements calls.CallbackTaker.
func (c *Console) Callback(ctx context.Context, callID, kind, contact, window string) error {
	_, err := c.cfg.Queue.AddCallback(ctx, callID, kind, contact, window)
	return err
}

// Run relays queue events to the calls of this node until ctx ends: the caller hears
// when a lawyer accepts, and is told honestly when nobody does.
func (c *Console) Run(ctx context.Context) {
	sub := c.cfg.Queue.Subscribe()
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.C():
			if e.Kind == "accept" || (e.Kind == "unanswered" && e.Detail != "nobody_free") {
				c.tellCaller(e)
			}
		}
	}
}

func (c *Console) tellCaller(e handoffs.Event) {
	if c.calls == nil {
		return
	}
	call, ok := c.calls.Call(e.CallID)
	if !ok {
		return
	}
	switch e.Kind {
	case "accept":
		name := ""
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if l, err := c.cfg.Directory.Get(ctx, e.LawyerID); err == nil {
			name = l.Name
		}
		call.HandoffAccepted(e.LawyerID, name)
	case "unanswered":
		call.HandoffUnanswered()
	}
}

// --- HTTP API ----------------------------------------------------------------------

func lawyerOf(r *http.Request) int {
	s, _ := accounts.FromContext(r.Context())
	return s.Account.LawyerID
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// queueError turns a queue error into a client-safe answer.
func (c *Console) queueError(w http.ResponseWriter, r *http.Request, err error) {
	type m struct {
		status int
		code   string
		msg    string
	}
	known := map[error]m{
		handoffs.ErrTaken:    {409, "taken", "已被其他律师接听 / Another lawyer already took this call"},
		handoffs.ErrClosed:   {409, "closed", "该请求已结束 / This request is over"},
		handoffs.ErrOffDuty:  {409, "off_duty", "请先切换为在线 / Go on duty first"},
		handoffs.ErrBusy:     {409, "busy", "您正在另一通电话中 / You are already in a call"},
		handoffs.ErrNotYours: {403, "not_yours", "这通电话由其他律师接听 / Another lawyer has this call"},
		handoffs.ErrNotFound: {404, "not_found", "找不到该请求 / No such request"},
	}
	for e, v := range known {
		if errors.Is(err, e) {
			writeJSON(w, v.status, apiError{v.code, v.msg})
			return
		}
	}
	c.cfg.Log.ErrorContext(r.Context(), "console request failed", "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusServiceUnavailable, apiError{"unavailable",
		"暂时无法处理，请稍后重试 / Not possible right now, please retry"})
}

// queueItem is a request as the console lists it.
type queueItem struct {
	handoffs.Handoff
	OfferedToMe bool  `json:"offered_to_me"`
	MineActive  bool  `json:"mine"`
	WaitingS    int64 `json:"waiting_s"`
}

type stateView struct {
	Lawyer struct {
		ID     int    `json:"id"`
		Name   string `json:"name"`
		OnDuty bool   `json:"on_duty"`
	} `json:"lawyer"`
	Queue     []queueItem         `json:"queue"`
	Callbacks []handoffs.Callback `json:"callbacks"`
	Offers    int                 `json:"offers"` // requests offered to this lawyer now
}

func (c *Console) state(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), lawyerOf(r)
	l, err := c.cfg.Directory.Get(ctx, id)
	if err != nil {
		c.queueError(w, r, err)
		return
	}
	open, err := c.cfg.Queue.Open(ctx, id)
	if err != nil {
		c.queueError(w, r, err)
		return
	}
	cbs, err := c.cfg.Queue.Callbacks(ctx)
	if err != nil {
		c.queueError(w, r, err)
		return
	}
	var v stateView
	v.Lawyer.ID, v.Lawyer.Name, v.Lawyer.OnDuty = l.ID, l.Name, l.OnDuty
	v.Queue, v.Callbacks = []queueItem{}, cbs
	if v.Callbacks == nil {
		v.Callbacks = []handoffs.Callback{}
	}
	for _, h := range open {
		it := queueItem{Handoff: h, OfferedToMe: h.Status == handoffs.Offered && h.OfferedTo == id,
			MineActive: h.Status == handoffs.Accepted && h.AcceptedBy == id,
			WaitingS:   int64(time.Since(h.CreatedAt) / time.Second)}
		if it.OfferedToMe {
			v.Offers++
		}
		v.Queue = append(v.Queue, it)
	}
	writeJSON(w, http.StatusOK, v)
}

func (c *Console) duty(w http.ResponseWriter, r *http.Request) {
	var body struct {
		OnDuty *bool `json:"on_duty"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.OnDuty == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"bad_request", `send {"on_duty": true|false}`})
		return
	}
	if err := c.cfg.Directory.SetDuty(r.Context(), lawyerOf(r), *body.OnDuty); err != nil {
		c.queueError(w, r, err)
		return
	}
	c.cfg.Log.InfoContext(r.Context(), "duty changed", "lawyer_id", lawyerOf(r), "on_duty", *body.OnDuty)
	writeJSON(w, http.StatusOK, map[string]bool{"on_duty": *body.OnDuty})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

type detailView struct {
	Handoff    handoffs.Handoff      `json:"handoff"`
	Transcript []turnView            `json:"transcript"`
	Audit      []handoffs.AuditEntry `json:"audit"`
}

// turnView is one stored turn of the call as the console reads it.
type turnView struct {
	Seq         int               `json:"seq"`
	Question    string            `json:"question"`
	Typed       bool              `json:"typed"`
	Answer      string            `json:"answer"`
	Citations   []answer.Citation `json:"citations"`
	Interrupted bool              `json:"interrupted"`
	At          time.Time         `json:"at"`
}

// detail shows a request with its summary and transcript. Any signed-in lawyer may
// read open requests (they decide whether to accept); a closed one only its lawyer.
func (c *Console) detail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		c.queueError(w, r, handoffs.ErrNotFound)
		return
	}
	ctx := r.Context()
	h, err := c.cfg.Queue.Get(ctx, id)
	if err != nil {
		c.queueError(w, r, err)
		return
	}
	open := h.Status == handoffs.Waiting || h.Status == handoffs.Offered
	if !open && h.AcceptedBy != lawyerOf(r) {
		c.queueError(w, r, handoffs.ErrNotYours)
		return
	}
	v := detailView{Handoff: h, Transcript: []turnView{}}
	turns, err := c.cfg.Records.Turns(ctx, h.CallID)
	if err != nil {
		c.queueError(w, r, err)
		return
	}
	for _, t := range turns {
		cites := t.Citations
		if cites == nil {
			cites = []answer.Citation{}
		}
		v.Transcript = append(v.Transcript, turnView{Seq: t.Seq, Question: t.Question,
			Typed: t.Typed, Answer: t.Answer, Citations: cites, Interrupted: t.Interrupted, At: t.At})
	}
	if v.Audit, err = c.cfg.Queue.Audit(ctx, id); err != nil {
		c.queueError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (c *Console) accept(w http.ResponseWriter, r *http.Request) {
	c.act(w, r, c.cfg.Queue.Accept)
}

func (c *Console) decline(w http.ResponseWriter, r *http.Request) {
	c.act(w, r, c.cfg.Queue.Decline)
}

func (c *Console) act(w http.ResponseWriter, r *http.Request,
	f func(context.Context, int64, int) (handoffs.Handoff, error)) {
	id, ok := pathID(r)
	if !ok {
		c.queueError(w, r, handoffs.ErrNotFound)
		return
	}
	h, err := f(r.Context(), id, lawyerOf(r))
	if err != nil {
		c.queueError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (c *Console) note(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	var body struct {
		Note string `json:"note"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !ok {
		writeJSON(w, http.StatusBadRequest, apiError{"bad_request", `send {"note": "…"}`})
		return
	}
	if err := c.cfg.Queue.SetNote(r.Context(), id, lawyerOf(r), body.Note); err != nil {
		c.queueError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"saved": true})
}

func (c *Console) callbackDone(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		c.queueError(w, r, handoffs.ErrNotFound)
		return
	}
	if err := c.cfg.Queue.CallbackDone(r.Context(), id, lawyerOf(r)); err != nil {
		c.queueError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"done": true})
}
