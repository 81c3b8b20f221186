package signaling

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// call is one live call as signaling keeps it: the session, its resume token, the socket
// currently attached (nil while waiting for a resume) and the latest state. It is the
// Sink the session talks to.
type call struct {
	srv    *Server
	token  string
	lawyer int
	lang   string
	log    *slog.Logger

	session Session // set once Start returns
	id      string

	mu        sync.Mutex
	started   bool   // Start has returned a session
	earlyEnd  string // reason of a StateEnded reported while Start ran
	conn      *conn
	waiting   bool // no socket: the call waits for a resume
	lastState State
	grace     *time.Timer
	ended     bool
}

var _ Sink = (*call)(nil)

// State implements Sink.
func (cl *call) State(st State, reason string) {
	if st == StateEnded {
		if reason == "" {
			reason = ReasonEnded
		}
		cl.mu.Lock()
		started := cl.started
		if !started {
			cl.earlyEnd = reason
		}
		cl.mu.Unlock()
		if started {
			cl.srv.finish(cl, reason, CodeCallEnded, false)
		}
		return
	}
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		return
	}
	cl.lastState = st
	c := cl.conn
	cl.mu.Unlock()
	if c != nil {
		c.send(Message{Type: TypeState, State: st, Reason: reason})
	}
}

// Candidate implements Sink.
func (cl *call) Candidate(ci webrtc.ICECandidateInit) {
	cl.mu.Lock()
	c := cl.conn
	if cl.ended {
		c = nil
	}
	cl.mu.Unlock()
	if c != nil {
		c.sendCandidate(ci)
	}
}

// start begins a new call for socket c.
func (s *Server) start(c *conn, req request) (*call, *protoError) {
	if ok, wait := s.joins.allow(c.ip, time.Now()); !ok {
		return nil, &protoError{code: CodeRateLimited, retryAfter: wait,
			msg: "too many new calls from this address; try again in " + seconds(wait) + " s"}
	}
	token, err := newToken()
	if err != nil {
		c.log().Error("new call", "err", err)
		return nil, refuse(CodeInternal, "internal error; try again")
	}
	lang := req.lang
	if lang == "" {
		lang = LangChinese
	}
	cl := &call{srv: s, token: token, lawyer: req.lawyer, lang: lang,
		log: c.log().With("lawyer_id", req.lawyer)}

	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StartTimeout)
	defer cancel()
	jr := JoinRequest{Lawyer: req.lawyer, Lang: lang, RemoteIP: c.ip, UserAgent: c.ua}
	sess, err := s.cfg.Host.Start(ctx, jr, cl)
	if err != nil {
		cl.mu.Lock()
		cl.ended = true
		cl.mu.Unlock()
		perr, ours := joinError(err)
		if ours {
			cl.log.Warn("call start failed", "err", err)
		} else {
			cl.log.Info("call refused", "code", string(perr.code), "err", err)
		}
		return nil, perr
	}
	cl.session, cl.id = sess, sess.ID()
	cl.log = cl.log.With("call_id", cl.id)
	cl.mu.Lock()
	cl.started = true
	early := cl.earlyEnd
	cl.mu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sess.Hangup(ReasonServerShutdown)
		return nil, fatal(CodeShuttingDown, websocket.CloseGoingAway,
			"the server is restarting; connect again in a few seconds")
	}
	s.calls[token] = cl
	s.wg.Add(1)
	s.mu.Unlock()
	s.metrics.calls.Inc()
	s.metrics.joins.WithLabelValues("new").Inc()

	go func() {
		defer s.wg.Done()
		<-sess.Done()
		s.finish(cl, ReasonEnded, CodeCallEnded, false)
	}()
	if early != "" {
		s.finish(cl, early, CodeCallEnded, false)
		return nil, refuse(CodeCallEnded, "the call ended as it started ("+early+")")
	}
	cl.log.Info("call joined", "lang", lang)
	if !cl.attach(c, false) {
		return nil, refuse(CodeCallEnded, "the call ended as it started")
	}
	return cl, nil
}

// resume re-attaches socket c to the call that token names.
func (s *Server) resume(c *conn, req request) (*call, *protoError) {
	s.mu.Lock()
	cl := s.calls[req.resume]
	tomb, gone := s.gone[req.resume]
	s.mu.Unlock()
	if cl == nil {
		// A failed resume costs a join token, so tokens cannot be guessed at speed.
		if ok, wait := s.joins.allow(c.ip, time.Now()); !ok {
			return nil, &protoError{code: CodeRateLimited, retryAfter: wait,
				msg: "too many failed resumes from this address; try again in " +
					seconds(wait) + " s"}
		}
		switch {
		case gone && tomb.code == CodeResumeExpired:
			return nil, refuse(CodeResumeExpired, "the call ended because the connection "+
				"was lost for too long; start a new call")
		case gone:
			return nil, refuse(CodeCallEnded, "this call has ended; start a new call")
		}
		return nil, refuse(CodeResumeUnknown, "the resume token is not known here; start a "+
			"new call")
	}
	if req.lawyer != 0 && req.lawyer != cl.lawyer {
		return nil, refuse(CodeInvalidField, "join: \"lawyer\" does not match the resumed call")
	}
	if !cl.attach(c, true) {
		return nil, refuse(CodeCallEnded, "this call has ended; start a new call")
	}
	s.metrics.joins.WithLabelValues("resumed").Inc()
	cl.log.Info("call resumed")
	return cl, nil
}

// attach makes c the call's socket and sends it `joined` and the latest state. A socket
// still attached (a half-dead one the client gave up on) is told it was replaced.
func (cl *call) attach(c *conn, resumed bool) bool {
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		return false
	}
	old := cl.conn
	cl.conn = c
	wasDetached := cl.waiting
	cl.waiting = false
	if cl.grace != nil {
		cl.grace.Stop()
		cl.grace = nil
	}
	last := cl.lastState
	// Send under the lock so that no state from the session overtakes `joined`.
	srv := cl.srv
	c.send(Message{Type: TypeJoined, Call: cl.id, Resume: cl.token, Lawyer: cl.lawyer,
		Lang: cl.lang, ICEServers: wireServers(srv.cfg.ICEServers()), Resumed: resumed,
		GraceMS: srv.cfg.ResumeGrace.Milliseconds()})
	if last != "" {
		c.send(Message{Type: TypeState, State: last})
	}
	cl.mu.Unlock()

	if old != nil {
		old.fail(fatal(CodeReplaced, websocket.ClosePolicyViolation,
			"this call was resumed on another socket"))
	}
	if wasDetached {
		srv.metrics.detached.Dec()
		if p, ok := cl.session.(Presence); ok {
			p.SocketResumed()
		}
	}
	return true
}

// detach is called when socket c has closed. If c was its call's socket, the call waits
// ResumeGrace for a resume before it is hung up.
func (s *Server) detach(c *conn) {
	cl := c.call
	if cl == nil {
		return
	}
	cl.mu.Lock()
	if cl.ended || cl.conn != c {
		cl.mu.Unlock()
		return
	}
	cl.conn = nil
	cl.waiting = true
	cl.grace = time.AfterFunc(s.cfg.ResumeGrace, func() {
		cl.log.Info("resume grace expired")
		s.finish(cl, ReasonResumeTimeout, CodeResumeExpired, true)
	})
	cl.mu.Unlock()
	s.metrics.detached.Inc()
	cl.log.Info("socket lost; waiting for resume", "grace", s.cfg.ResumeGrace)
	if p, ok := cl.session.(Presence); ok {
		p.SocketLost()
	}
}

// finish ends a call once: it forgets the token (keeping a tombstone with code), hangs up
// the session when hangup is set, and tells the attached socket, which then closes.
func (s *Server) finish(cl *call, reason string, code Code, hangup bool) {
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		return
	}
	cl.ended = true
	c := cl.conn
	cl.conn = nil
	wasDetached := cl.waiting
	cl.waiting = false
	if cl.grace != nil {
		cl.grace.Stop()
		cl.grace = nil
	}
	cl.mu.Unlock()

	now := time.Now()
	s.mu.Lock()
	delete(s.calls, cl.token)
	s.gone[cl.token] = tombstone{code: code, at: now}
	if now.Sub(s.lastSweep) > time.Minute {
		s.lastSweep = now
		for tok, t := range s.gone {
			if now.Sub(t.at) > tombstoneTTL {
				delete(s.gone, tok)
			}
		}
	}
	s.mu.Unlock()

	s.metrics.calls.Dec()
	if wasDetached {
		s.metrics.detached.Dec()
	}
	if hangup {
		cl.session.Hangup(reason)
	}
	if c != nil {
		c.end(reason)
	}
	cl.log.Info("call ended", "reason", reason)
}
