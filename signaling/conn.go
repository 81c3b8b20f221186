package signaling

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// maxPendingCandidates bounds remote candidates held back until an offer is answered.
const maxPendingCandidates = 64

// closeWait is how long the writer waits for the client to answer a close frame.
const closeWait = 2 * time.Second

// conn is one WebSocket. Its reader runs in the HTTP handler's goroutine and handles
// messages one at a time; its writer goroutine owns every write. Other goroutines (the
// session's Sink, timers, Shutdown) only enqueue frames.
type conn struct {
	srv  *Server
	ws   *websocket.Conn
	ip   string
	ua   string
	logp atomic.Pointer[slog.Logger] // remote_ip, and call_id once joined

	out        chan frame
	readerDone chan struct{}
	closing    atomic.Bool // a closing frame is queued: send and handle nothing more
	joined     atomic.Bool

	// Server candidates wait for the answer they belong to: a browser refuses
	// addIceCandidate before setRemoteDescription.
	cmu        sync.Mutex
	answerSent bool
	heldCands  []Message

	// Owned by the reader goroutine.
	call     *call
	answered bool // the latest offer on this socket was answered
	pending  []webrtc.ICECandidateInit
	msgs     bucket
}

// frame is one queued write: a text message, a close frame after it, or both.
type frame struct {
	data      []byte
	closeCode int
	closeText string
}

func newConn(s *Server, ws *websocket.Conn, ip, ua string) *conn {
	c := &conn{
		srv: s, ws: ws, ip: ip, ua: ua,
		out:        make(chan frame, s.cfg.SendQueue),
		readerDone: make(chan struct{}),
		msgs:       newBucket(float64(s.cfg.MessageBurst), time.Now()),
	}
	c.logp.Store(s.log.With("remote_ip", ip))
	return c
}

func (c *conn) log() *slog.Logger { return c.logp.Load() }

// run serves the socket until it closes, then detaches it from its call.
func (c *conn) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	joinTimer := time.AfterFunc(c.srv.cfg.JoinTimeout, func() {
		if !c.joined.Load() {
			c.fail(fatal(CodeJoinTimeout, websocket.ClosePolicyViolation,
				"no join received in time"))
		}
	})

	c.readLoop()

	joinTimer.Stop()
	close(c.readerDone)
	<-writerDone
	c.srv.detach(c)
}

func (c *conn) readLoop() {
	pongWait := c.srv.cfg.PingInterval * 5 / 2
	alive := func() { _ = c.ws.SetReadDeadline(time.Now().Add(pongWait)) }
	alive()
	c.ws.SetPongHandler(func(string) error { alive(); return nil })
	limit := int64(c.srv.cfg.MaxMessageBytes)
	for {
		typ, r, err := c.ws.NextReader()
		if err != nil {
			c.log().Debug("websocket read ended", "err", err)
			return
		}
		alive()
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return
		}
		if c.closing.Load() {
			continue // drain until the client answers our close frame
		}
		if int64(len(data)) > limit {
			c.fail(fatal(CodeMessageTooLarge, websocket.CloseMessageTooBig,
				"a message may be at most "+strconv.FormatInt(limit, 10)+" bytes"))
			continue
		}
		if ok, _ := c.msgs.take(c.srv.cfg.MessagesPerSecond, float64(c.srv.cfg.MessageBurst),
			time.Now()); !ok {
			c.fail(fatal(CodeTooManyMessages, websocket.ClosePolicyViolation,
				"too many messages on this socket"))
			continue
		}
		if typ != websocket.TextMessage {
			c.refuse(refuse(CodeMalformedJSON, "send JSON in text frames, not binary"))
			continue
		}
		req, perr := decode(data)
		if perr != nil {
			c.refuse(perr)
			continue
		}
		c.handle(req)
	}
}

func (c *conn) handle(req request) {
	c.log().Debug("message received", "type", req.typ)
	switch req.typ {
	case TypeJoin:
		c.handleJoin(req)
	case TypeOffer:
		c.handleOffer(req)
	case TypeCandidate:
		c.handleCandidate(req)
	case TypeHangup:
		if c.call == nil {
			c.close(websocket.CloseNormalClosure, "")
			return
		}
		c.log().Info("caller hung up", "call_id", c.call.id, "reason", req.reason)
		c.srv.finish(c.call, ReasonCallerHangup, CodeCallEnded, true)
	case TypePing:
		c.send(Message{Type: TypePong, ID: req.id})
	}
}

func (c *conn) handleJoin(req request) {
	if c.call != nil {
		c.refuse(refuse(CodeAlreadyJoined, "this socket is already in call "+c.call.id+
			"; open a new socket for another call"))
		return
	}
	var (
		cl   *call
		perr *protoError
	)
	if req.resume != "" {
		cl, perr = c.srv.resume(c, req)
	} else {
		cl, perr = c.srv.start(c, req)
	}
	if perr != nil {
		c.refuse(perr)
		return
	}
	c.call = cl
	c.answered = false
	c.pending = nil
	c.joined.Store(true)
	c.logp.Store(c.log().With("call_id", cl.id))
}

func (c *conn) handleOffer(req request) {
	if c.call == nil {
		c.refuse(refuse(CodeNotJoined, "send join before offer"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.OfferTimeout)
	defer cancel()
	c.log().Debug("offer", "sdp", req.sdp)
	c.cmu.Lock()
	c.answerSent = false
	c.cmu.Unlock()
	answer, err := c.call.session.Offer(ctx, req.sdp)
	if err != nil {
		perr, ours := offerError(err)
		if ours {
			c.log().Warn("offer failed", "err", err)
		} else {
			c.log().Info("offer refused", "code", string(perr.code), "err", err)
		}
		c.refuse(perr)
		return
	}
	c.log().Debug("answer", "sdp", answer)
	c.cmu.Lock()
	c.send(Message{Type: TypeAnswer, SDP: answer})
	for _, m := range c.heldCands {
		c.send(m)
	}
	c.heldCands, c.answerSent = nil, true
	c.cmu.Unlock()
	c.answered = true
	pending := c.pending
	c.pending = nil
	for _, ci := range pending {
		c.addCandidate(ci)
	}
}

func (c *conn) handleCandidate(req request) {
	if c.call == nil {
		c.refuse(refuse(CodeNotJoined, "send join and offer before candidates"))
		return
	}
	if req.endOfICE {
		return
	}
	if !c.answered {
		if len(c.pending) >= maxPendingCandidates {
			c.refuse(refuse(CodeTooManyCandidates, "too many candidates before the offer; "+
				"this one was dropped"))
			return
		}
		c.pending = append(c.pending, req.candidate)
		return
	}
	c.addCandidate(req.candidate)
}

func (c *conn) addCandidate(ci webrtc.ICECandidateInit) {
	if err := c.call.session.AddCandidate(ci); err != nil {
		c.log().Debug("candidate refused", "err", err)
		c.refuse(refuse(CodeBadCandidate, "the ICE candidate could not be used"))
	}
}

// sendCandidate queues a server candidate, or holds it until the answer is sent.
func (c *conn) sendCandidate(ci webrtc.ICECandidateInit) {
	m := Message{Type: TypeCandidate, Candidate: &ci}
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if c.answerSent {
		c.send(m)
	} else if len(c.heldCands) < maxPendingCandidates {
		c.heldCands = append(c.heldCands, m)
	}
}

// send queues a message. A client too slow to take its frames is disconnected.
func (c *conn) send(m Message) {
	b, err := json.Marshal(m)
	if err != nil {
		c.log().Error("encode message", "type", m.Type, "err", err)
		return
	}
	c.enqueue(frame{data: b})
}

func (c *conn) enqueue(f frame) {
	if c.closing.Load() {
		return
	}
	if f.closeCode != 0 && !c.closing.CompareAndSwap(false, true) {
		return
	}
	select {
	case c.out <- f:
	default:
		c.srv.metrics.refused(CodeSlowConsumer)
		c.log().Warn("websocket send queue full; disconnecting", "queue", cap(c.out))
		c.closing.Store(true)
		_ = c.ws.Close()
	}
}

// refuse tells the client about a refusal that leaves the socket open.
func (c *conn) refuse(perr *protoError) {
	if perr.closeCode != 0 {
		c.fail(perr)
		return
	}
	c.srv.metrics.refused(perr.code)
	c.log().Debug("refused", "code", string(perr.code), "message", perr.msg)
	c.enqueue(frame{data: errorFrame(perr)})
}

// fail sends a fatal error and closes the socket after it.
func (c *conn) fail(perr *protoError) {
	c.srv.metrics.refused(perr.code)
	c.log().Info("websocket closed by server", "code", string(perr.code))
	c.enqueue(frame{data: errorFrame(perr), closeCode: perr.closeCode, closeText: string(perr.code)})
}

// end tells the client its call is over and closes the socket.
func (c *conn) end(reason string) {
	b, _ := json.Marshal(Message{Type: TypeState, State: StateEnded, Reason: reason})
	code := websocket.CloseNormalClosure
	if reason == ReasonServerShutdown {
		code = websocket.CloseGoingAway
	}
	c.enqueue(frame{data: b, closeCode: code, closeText: reason})
}

func (c *conn) close(code int, text string) {
	c.enqueue(frame{closeCode: code, closeText: text})
}

func (c *conn) writeLoop() {
	ping := time.NewTicker(c.srv.cfg.PingInterval)
	defer ping.Stop()
	defer func() { _ = c.ws.Close() }()
	timeout := c.srv.cfg.WriteTimeout
	for {
		select {
		case f := <-c.out:
			if f.data != nil {
				_ = c.ws.SetWriteDeadline(time.Now().Add(timeout))
				if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
					c.log().Debug("websocket write failed", "err", err)
					return
				}
			}
			if f.closeCode != 0 {
				msg := websocket.FormatCloseMessage(f.closeCode, f.closeText)
				_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(timeout))
				t := time.NewTimer(closeWait)
				select {
				case <-c.readerDone:
				case <-t.C:
				}
				t.Stop()
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil,
				time.Now().Add(timeout)); err != nil {
				return
			}
		case <-c.readerDone:
			return
		}
	}
}
