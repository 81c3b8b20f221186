package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"fayun/calls"
	"fayun/handoffs"
)

// The console WebSocket (GET /ws/console, session cookie) carries queue events to the
// console at once and the signaling of the lawyer's media when joining a call. JSON
// text frames, each with "type":
//
//	server → console: queue {kind, handoff, lawyer, status} (refetch /api/console/state),
//	  joined {handoff, call}, answer {sdp}, candidate {candidate}, caption {speaker,
//	  text, final}, left {reason: hand_back | end | call_ended | connection_lost},
//	  error {code, message}
//	console → server: join {handoff}, offer {sdp}, candidate {candidate}, hand_back, end
const (
	maxMessage   = 64 << 10
	pingEvery    = 25 * time.Second
	readDeadline = 60 * time.Second
	writeTimeout = 10 * time.Second
)

var upgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}

type message struct {
	Type      string                   `json:"type"`
	Handoff   int64                    `json:"handoff,omitempty"`
	Call      string                   `json:"call,omitempty"`
	Kind      string                   `json:"kind,omitempty"`
	Lawyer    int                      `json:"lawyer,omitempty"`
	Status    string                   `json:"status,omitempty"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Speaker   string                   `json:"speaker,omitempty"`
	Text      string                   `json:"text,omitempty"`
	Final     *bool                    `json:"final,omitempty"`
	Reason    string                   `json:"reason,omitempty"`
	Code      string                   `json:"code,omitempty"`
	Message   string                   `json:"message,omitempty"`
}

// session is one open console socket.
type session struct {
	c      *Console
	lawyer int
	conn   *websocket.Conn
	out    chan message
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	leg     *calls.LawyerLeg
	handoff int64
	callID  string
}

func (c *Console) socket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil) // same-origin check: gorilla's default
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	s := &session{c: c, lawyer: lawyerOf(r), conn: conn, out: make(chan message, 256),
		ctx: ctx, cancel: cancel}
	conn.SetReadLimit(maxMessage)
	sub := c.cfg.Queue.Subscribe()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.write() }()
	go func() { defer wg.Done(); s.relay(sub) }()
	s.send(message{Type: "hello", Lawyer: s.lawyer})
	s.read()
	cancel()
	sub.Close()
	s.leave("connection_lost", true)
	_ = conn.Close()
	wg.Wait()
}

func (s *session) send(m message) {
	select {
	case s.out <- m:
	default:
		s.c.cfg.Log.Warn("console socket backlog; closing", "lawyer_id", s.lawyer)
		s.cancel()
	}
}

func (s *session) write() {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-s.ctx.Done():
			_ = s.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			_ = s.conn.Close()
			return
		case <-ping.C:
			_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := s.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				s.cancel()
			}
		case m := <-s.out:
			_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := s.conn.WriteJSON(m); err != nil {
				s.cancel()
			}
		}
	}
}

func (s *session) relay(sub *handoffs.Subscription) {
	for {
		select {
		case <-s.ctx.Done():
			return
		case e := <-sub.C():
			s.send(message{Type: "queue", Kind: e.Kind, Handoff: e.Handoff, Lawyer: e.LawyerID,
				Status: string(e.Status)})
		}
	}
}

func (s *session) read() {
	_ = s.conn.SetReadDeadline(time.Now().Add(readDeadline))
	s.conn.SetPongHandler(func(string) error {
		return s.conn.SetReadDeadline(time.Now().Add(readDeadline))
	})
	for {
		var m message
		if err := s.conn.ReadJSON(&m); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				s.send(message{Type: "error", Code: "malformed", Message: "send JSON objects"})
				continue
			}
			return
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(readDeadline))
		s.handle(m)
	}
}

func (s *session) fail(code, msg string) {
	s.send(message{Type: "error", Code: code, Message: msg})
}

func (s *session) handle(m message) {
	switch m.Type {
	case "join":
		s.join(m.Handoff)
	case "offer":
		leg := s.current()
		if leg == nil {
			s.fail("not_joined", "join a call first")
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		ans, err := leg.Offer(ctx, m.SDP)
		if err != nil {
			s.fail("bad_offer", "the offer was refused: "+err.Error())
			return
		}
		s.send(message{Type: "answer", SDP: ans})
	case "candidate":
		if leg := s.current(); leg != nil && m.Candidate != nil {
			if err := leg.AddCandidate(*m.Candidate); err != nil {
				s.fail("bad_candidate", "the candidate was refused")
			}
		}
	case "hand_back":
		s.leave("hand_back", true)
	case "end":
		s.leave("end", false)
	default:
		s.fail("unknown_type", "unknown message type")
	}
}

func (s *session) current() *calls.LawyerLeg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leg
}

// join connects the lawyer's media to the call of a request they accepted.
func (s *session) join(id int64) {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	h, err := s.c.cfg.Queue.Get(ctx, id)
	switch {
	case err != nil:
		s.fail("not_found", "no such request")
		return
	case h.AcceptedBy != s.lawyer || h.Status != handoffs.Accepted:
		s.fail("not_yours", "accept the request before joining its call")
		return
	case s.current() != nil:
		s.fail("already_joined", "you are already in a call")
		return
	case s.c.calls == nil:
		s.fail("call_elsewhere", "this server holds no calls")
		return
	}
	call, ok := s.c.calls.Call(h.CallID)
	if !ok {
		// TODO: route the console to the node holding the call (calls.node) when several
		// nodes serve behind a load balancer; today the lawyer must reach the same node.
		s.fail("call_elsewhere", "the call is not on this server, or it has ended")
		return
	}
	name := ""
	if l, err := s.c.cfg.Directory.Get(ctx, s.lawyer); err == nil {
		name = l.Name
	}
	leg, err := call.JoinLawyer(calls.LawyerJoin{LawyerID: s.lawyer, Name: name,
		OnCandidate: func(ci webrtc.ICECandidateInit) {
			s.send(message{Type: "candidate", Candidate: &ci})
		},
		OnCaption: func(speaker, text string, final bool) {
			s.send(message{Type: "caption", Speaker: speaker, Text: text, Final: &final})
		}})
	if err != nil {
		s.fail("join_failed", err.Error())
		return
	}
	s.mu.Lock()
	s.leg, s.handoff, s.callID = leg, id, h.CallID
	s.mu.Unlock()
	s.send(message{Type: "joined", Handoff: id, Call: h.CallID})
	go s.watch(leg)
}

// watch notices the leg ending by itself (the caller left, the connection failed).
func (s *session) watch(leg *calls.LawyerLeg) {
	select {
	case <-s.ctx.Done():
	case <-leg.CallDone():
		s.leave("call_ended", false)
	case <-leg.Done():
		s.leave("connection_lost", true)
	}
}

// leave ends the lawyer's part: back to the avatar, or the whole call.
func (s *session) leave(reason string, handBack bool) {
	s.mu.Lock()
	leg, id, callID := s.leg, s.handoff, s.callID
	s.leg = nil
	s.mu.Unlock()
	if leg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	var err error
	switch {
	case reason == "call_ended":
		err = s.c.cfg.Queue.CallEnded(ctx, callID)
	case handBack:
		leg.HandBack()
		_, err = s.c.cfg.Queue.HandBack(ctx, id, s.lawyer)
	default:
		leg.EndCall()
		_, err = s.c.cfg.Queue.End(ctx, id, s.lawyer)
	}
	if err != nil && !errors.Is(err, handoffs.ErrClosed) {
		s.c.cfg.Log.Warn("record lawyer leaving", "handoff_id", id, "err", err)
	}
	s.send(message{Type: "left", Handoff: id, Reason: reason})
}
