package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait in these tests; reaching it is a failure, not a measurement.
const wait = 10 * time.Second

type fixture struct {
	srv  *Server
	host *testHost
	http *httptest.Server
	api  *webrtc.API
	url  string
}

func newFixture(t *testing.T, tune func(*Config)) *fixture {
	t.Helper()
	api := loopbackAPI(t)
	host := &testHost{api: api}
	cfg := Config{
		Host: host,
		ICEServers: func() []webrtc.ICEServer {
			return []webrtc.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}
		},
	}
	if tune != nil {
		tune(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv) // listens on 127.0.0.1
	f := &fixture{srv: srv, host: host, http: hs, api: api,
		url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws/call"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
	})
	return f
}

// client is the caller's socket: a reader goroutine feeds msgs; writes are serialized.
type client struct {
	t         *testing.T
	ws        *websocket.Conn
	wmu       sync.Mutex
	msgs      chan Message
	done      chan struct{}
	close     *websocket.CloseError // set when done is closed by a close frame
	peer      *clientPeer           // when set, server candidates go to it
	pmu       sync.Mutex
	gotAnswer bool                      // the answer to the latest offer was received
	ready     bool                      // ... and applied
	held      []webrtc.ICECandidateInit // candidates received between those two
}

// dial opens a socket from local address from (empty = 127.0.0.1).
func (f *fixture) dial(t *testing.T, from string, header http.Header) *client {
	t.Helper()
	c, resp, err := f.tryDial(from, header)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	return f.start(t, c)
}

func (f *fixture) tryDial(from string, header http.Header) (*websocket.Conn, *http.Response,
	error) {
	d := websocket.Dialer{HandshakeTimeout: wait}
	if from != "" {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		d.NetDialContext = nd.DialContext
	}
	return d.Dial(f.url, header)
}

func (f *fixture) start(t *testing.T, ws *websocket.Conn) *client {
	c := &client{t: t, ws: ws, msgs: make(chan Message, 256), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() {
		_ = ws.Close()
		<-c.done
	})
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	defer close(c.msgs)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.close = ce
			}
			return
		}
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Errorf("server sent invalid JSON %q: %v", data, err)
			return
		}
		if m.Type == TypeCandidate && c.candidate(*m.Candidate) {
			continue
		}
		if m.Type == TypeAnswer {
			c.pmu.Lock()
			c.gotAnswer = true
			c.pmu.Unlock()
		}
		c.msgs <- m
	}
}

// candidate gives a server candidate to the peer, or holds it until the answer is applied.
func (c *client) candidate(ci webrtc.ICECandidateInit) bool {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.peer == nil {
		return false
	}
	if !c.gotAnswer {
		c.t.Errorf("server sent a candidate before the answer: %+v", ci)
		return true
	}
	if !c.ready {
		c.held = append(c.held, ci)
		return true
	}
	if err := c.peer.pc.AddICECandidate(ci); err != nil {
		c.t.Errorf("client add candidate: %v", err)
	}
	return true
}

// answered applies an answer and then the candidates held back for it.
func (c *client) answered(sdp string) {
	c.t.Helper()
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.peer.applyAnswer(c.t, sdp)
	for _, ci := range c.held {
		if err := c.peer.pc.AddICECandidate(ci); err != nil {
			c.t.Errorf("client add candidate: %v", err)
		}
	}
	c.held, c.ready = nil, true
}

func (c *client) send(v any) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next returns the next message other than a candidate.
func (c *client) next() Message {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("socket closed (%v) while waiting for a message", c.close)
		}
		return m
	case <-time.After(wait):
		c.t.Fatal("no message from server")
	}
	return Message{}
}

// expect returns the next message, failing unless it has type typ (and, for errors, code).
func (c *client) expect(typ string, code Code) Message {
	c.t.Helper()
	m := c.next()
	if m.Type != typ || (code != "" && m.Code != code) {
		c.t.Fatalf("got %+v, want type %q code %q", m, typ, code)
	}
	return m
}

// closed waits for the server's close frame and returns its code.
func (c *client) closed() int {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if ok {
			c.t.Fatalf("unexpected message before close: %+v", m)
		}
	case <-time.After(wait):
		c.t.Fatal("socket not closed by server")
	}
	if c.close == nil {
		<-c.done
		if c.close == nil {
			c.t.Fatal("socket ended without a close frame")
		}
	}
	return c.close.Code
}

// connect runs join, offer/answer and trickle on c with a real peer, until ICE connects on
// both sides, and returns the joined message.
func (f *fixture) connect(t *testing.T, c *client, lawyer int) (Message, *clientPeer) {
	t.Helper()
	c.send(Message{Type: TypeJoin, Lawyer: lawyer, Lang: LangEnglish})
	joined := c.expect(TypeJoined, "")
	p := newClientPeer(t, f.api, true)
	c.attachPeer(p)
	f.negotiate(t, c, p, false)
	return joined, p
}

func (c *client) attachPeer(p *clientPeer) {
	c.pmu.Lock()
	c.peer = p
	c.pmu.Unlock()
	p.pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		if ic == nil {
			c.send(Message{Type: TypeCandidate, Candidate: &webrtc.ICECandidateInit{}})
			return
		}
		ci := ic.ToJSON()
		c.send(Message{Type: TypeCandidate, Candidate: &ci})
	})
}

// negotiate sends an offer (an ICE restart when restart is set) and waits until the
// client's ICE agent reports connected after it.
func (f *fixture) negotiate(t *testing.T, c *client, p *clientPeer, restart bool) {
	t.Helper()
	c.pmu.Lock()
	c.ready, c.gotAnswer = false, false
	c.pmu.Unlock()
	c.send(Message{Type: TypeOffer, SDP: p.offer(t, restart)})
	ans := c.expect(TypeAnswer, "")
	if !hasAudio(ans.SDP) {
		t.Fatalf("answer without audio:\n%s", ans.SDP)
	}
	c.answered(ans.SDP)
	sawChecking := !restart
	for {
		select {
		case st := <-p.states:
			if st == webrtc.ICEConnectionStateChecking {
				sawChecking = true
			}
			if st == webrtc.ICEConnectionStateConnected && sawChecking {
				return
			}
			if st == webrtc.ICEConnectionStateFailed {
				t.Fatal("client ICE failed")
			}
		case <-time.After(wait):
			t.Fatal("client ICE did not connect")
		}
	}
}

func waitDone(t *testing.T, s *testSession) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(wait):
		t.Fatalf("session %s was not hung up", s.id)
	}
}

func TestHappyPath(t *testing.T) {
	f := newFixture(t, nil)
	c := f.dial(t, "", nil)

	c.send(Message{Type: TypePing, ID: "p1"})
	if m := c.expect(TypePong, ""); m.ID != "p1" {
		t.Fatalf("pong id %q", m.ID)
	}
	c.send(Message{Type: TypeJoin, Lawyer: 7, Lang: LangEnglish})
	joined := c.expect(TypeJoined, "")
	if joined.Call != "call-1" || len(joined.Resume) != 43 || joined.Resumed ||
		joined.GraceMS != 30000 || joined.Lawyer != 7 || joined.Lang != "en" {
		t.Fatalf("joined = %+v", joined)
	}
	if len(joined.ICEServers) != 1 || joined.ICEServers[0].URLs[0] != "stun:127.0.0.1:3478" {
		t.Fatalf("ice_servers = %+v", joined.ICEServers)
	}
	sess := f.host.session(0)
	if sess.req.Lawyer != 7 || sess.req.Lang != "en" || sess.req.RemoteIP != "127.0.0.1" ||
		!strings.Contains(sess.req.UserAgent, "Go-http-client") {
		t.Fatalf("join request = %+v", sess.req)
	}

	// A candidate before the offer is held back, not refused.
	mid := "0"
	c.send(Message{Type: TypeCandidate, Candidate: &webrtc.ICECandidateInit{
		Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", SDPMid: &mid}})

	p := newClientPeer(t, f.api, true)
	c.attachPeer(p)
	f.negotiate(t, c, p, false)
	select {
	case <-sess.connected:
	case <-time.After(wait):
		t.Fatal("server ICE did not connect")
	}
	if m := c.expect(TypeState, ""); m.State != StateListening {
		t.Fatalf("state = %+v", m)
	}

	c.send(Message{Type: TypeHangup, Reason: "done"})
	if m := c.expect(TypeState, ""); m.State != StateEnded || m.Reason != ReasonCallerHangup {
		t.Fatalf("state after hangup = %+v", m)
	}
	if code := c.closed(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d", code)
	}
	waitDone(t, sess)
	if r := sess.hangupReason(); r != ReasonCallerHangup {
		t.Fatalf("hangup reason %q", r)
	}
	if sess.pc.ConnectionState() != webrtc.PeerConnectionStateClosed {
		t.Fatalf("server peer not closed: %s", sess.pc.ConnectionState())
	}
	if n := gaugeValue(f.srv.metrics.calls); n != 0 {
		t.Fatalf("calls gauge %v after hangup", n)
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, nil)
	c := f.dial(t, "", nil)
	noAudio := newClientPeer(t, f.api, false).offer(t, false)
	tests := []struct {
		name string
		send string
		code Code
	}{
		{"malformed json", `{"type":"join",`, CodeMalformedJSON},
		{"not an object", `[1,2]`, CodeMalformedJSON},
		{"two objects", `{"type":"ping"}{"type":"ping"}`, CodeMalformedJSON},
		{"missing type", `{"lawyer":1}`, CodeMissingField},
		{"unknown type", `{"type":"dance"}`, CodeUnknownType},
		{"wrong field type", `{"type":"offer","sdp":5}`, CodeInvalidField},
		{"missing lawyer", `{"type":"join","lang":"zh"}`, CodeMissingField},
		{"bad lawyer", `{"type":"join","lawyer":-3}`, CodeInvalidField},
		{"bad lang", `{"type":"join","lawyer":1,"lang":"fr"}`, CodeInvalidField},
		{"offer before join", `{"type":"offer","sdp":"v=0"}`, CodeNotJoined},
		{"candidate before join", `{"type":"candidate","candidate":{"candidate":"x",` +
			`"sdpMid":"0"}}`, CodeNotJoined},
		{"candidate missing", `{"type":"candidate"}`, CodeMissingField},
		{"unknown lawyer", `{"type":"join","lawyer":999}`, CodeUnknownLawyer},
		{"host failure", `{"type":"join","lawyer":997}`, CodeCallSetupFailed},
		{"unknown resume", `{"type":"join","resume":"nope"}`, CodeResumeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw([]byte(tt.send))
			m := c.expect(TypeError, tt.code)
			if m.Fatal || m.Text == "" {
				t.Fatalf("error = %+v, want a non-fatal error with a message", m)
			}
		})
	}
	c.t = t

	c.send(Message{Type: TypeJoin, Lawyer: lawyerBusy})
	busy := c.expect(TypeError, CodeOverCapacity)
	if busy.RetryAfterMS != 5000 || busy.Position != 3 {
		t.Fatalf("over capacity = %+v", busy)
	}

	// The socket survived every refusal: join, then refuse bad offers on the call.
	c.send(Message{Type: TypeJoin, Lawyer: 1})
	c.expect(TypeJoined, "")
	c.send(Message{Type: TypeJoin, Lawyer: 2})
	c.expect(TypeError, CodeAlreadyJoined)
	c.send(Message{Type: TypeOffer, SDP: "this is not sdp"})
	c.expect(TypeError, CodeInvalidSDP)
	c.send(Message{Type: TypeOffer, SDP: noAudio})
	c.expect(TypeError, CodeNoAudio)
	c.send(Message{Type: TypeHangup})
	c.expect(TypeState, "")
	c.closed()
}

func TestOriginCheck(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AllowedOrigins = []string{"https://kiosk.example"} })
	_, resp, err := f.tryDial("", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bad origin: err %v, response %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var m Message
	if json.Unmarshal(body, &m) != nil || m.Code != CodeOriginNotAllowed {
		t.Fatalf("bad origin body %q", body)
	}
	for _, origin := range []string{"https://kiosk.example", f.http.URL} {
		ws, _, err := f.tryDial("", http.Header{"Origin": {origin}})
		if err != nil {
			t.Fatalf("origin %s refused: %v", origin, err)
		}
		_ = ws.Close()
	}
}

func TestOversizedMessage(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxMessageBytes = 1024 })
	c := f.dial(t, "", nil)
	big, _ := json.Marshal(Message{Type: TypeOffer, SDP: strings.Repeat("a", 2048)})
	c.sendRaw(big) // one frame: a fragmented one could meet the close frame half-way
	if m := c.expect(TypeError, CodeMessageTooLarge); !m.Fatal {
		t.Fatalf("error = %+v, want fatal", m)
	}
	if code := c.closed(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d", code)
	}
}

func TestMessageFlood(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MessageBurst = 5; c.MessagesPerSecond = 0.001 })
	c := f.dial(t, "", nil)
	for range 6 {
		c.send(Message{Type: TypePing})
	}
	for range 5 {
		c.expect(TypePong, "")
	}
	c.expect(TypeError, CodeTooManyMessages)
	if code := c.closed(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d", code)
	}
}

func TestJoinTimeout(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.JoinTimeout = 50 * time.Millisecond })
	c := f.dial(t, "", nil)
	c.expect(TypeError, CodeJoinTimeout)
	c.closed()
}

// TestJoinFlood sends 1,000 join attempts from one address: the first JoinBurst reach the
// host, the rest are refused with rate_limited, and another address is unaffected.
func TestJoinFlood(t *testing.T) {
	const sockets, perSocket = 10, 100
	f := newFixture(t, func(c *Config) { c.MessageBurst = perSocket })
	counts := map[Code]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range sockets {
		c := f.dial(t, "127.0.0.1", nil)
		wg.Go(func() {
			for range perSocket {
				c.send(Message{Type: TypeJoin, Lawyer: lawyerUnknown})
			}
			for range perSocket {
				m := c.next()
				mu.Lock()
				counts[m.Code]++
				mu.Unlock()
				if m.Code == CodeRateLimited && m.RetryAfterMS <= 0 {
					t.Errorf("rate_limited without retry_after_ms: %+v", m)
				}
			}
		})
	}
	wg.Wait()
	if counts[CodeUnknownLawyer] != 5 || counts[CodeRateLimited] != sockets*perSocket-5 {
		t.Fatalf("replies = %v", counts)
	}
	if n := f.host.starts.Load(); n != 5 {
		t.Fatalf("host saw %d starts", n)
	}

	// Another address joins normally and connects.
	other := f.dial(t, "127.0.0.2", nil)
	joined, _ := f.connect(t, other, 1)
	if joined.Call == "" {
		t.Fatal("no call id")
	}
	if r := f.host.session(0).req.RemoteIP; r != "127.0.0.2" {
		t.Fatalf("remote ip %q", r)
	}
}

func TestSocketsPerIP(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxSocketsPerIP = 3 })
	for range 3 {
		f.dial(t, "127.0.0.1", nil)
	}
	c := f.dial(t, "127.0.0.1", nil)
	c.expect(TypeError, CodeTooManySockets)
	c.closed()
	f.dial(t, "127.0.0.3", nil).send(Message{Type: TypePing})
}

func TestResume(t *testing.T) {
	f := newFixture(t, nil)
	c := f.dial(t, "", nil)
	joined, p := f.connect(t, c, 3)
	c.expect(TypeState, "") // listening
	sess := f.host.session(0)

	// The network blinks: the socket dies without a close frame.
	_ = c.ws.NetConn().Close()
	<-c.done
	waitFor(t, func() bool { return sess.lost.Load() == 1 })

	c2 := f.dial(t, "127.0.0.4", nil) // a new address, as after a network switch
	c2.send(Message{Type: TypeJoin, Resume: joined.Resume})
	again := c2.expect(TypeJoined, "")
	if !again.Resumed || again.Call != joined.Call || again.Resume != joined.Resume {
		t.Fatalf("resumed joined = %+v", again)
	}
	if m := c2.expect(TypeState, ""); m.State != StateListening {
		t.Fatalf("state after resume = %+v", m)
	}
	if sess.back.Load() != 1 {
		t.Fatal("session not told of the resume")
	}
	c2.attachPeer(p)
	f.negotiate(t, c2, p, true) // ICE restart over the new socket

	// A third socket takes over from a live one; the live one is told why.
	c3 := f.dial(t, "", nil)
	c3.send(Message{Type: TypeJoin, Resume: joined.Resume})
	c3.expect(TypeJoined, "")
	for m := c2.next(); m.Type != TypeError || m.Code != CodeReplaced; m = c2.next() {
		if m.Type != TypeState {
			t.Fatalf("waiting for replaced, got %+v", m)
		}
	}
	c2.closed()

	c3.send(Message{Type: TypeHangup})
	for m := c3.expect(TypeState, ""); m.State != StateEnded; m = c3.expect(TypeState, "") {
	}
	c3.closed()
	waitDone(t, sess)
	if f.host.starts.Load() != 1 {
		t.Fatal("resume started a new session")
	}
}

func TestResumeExpires(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ResumeGrace = 50 * time.Millisecond })
	c := f.dial(t, "", nil)
	c.send(Message{Type: TypeJoin, Lawyer: 5})
	joined := c.expect(TypeJoined, "")
	_ = c.ws.NetConn().Close()
	sess := f.host.session(0)
	waitDone(t, sess)
	if r := sess.hangupReason(); r != ReasonResumeTimeout {
		t.Fatalf("hangup reason %q", r)
	}
	c2 := f.dial(t, "", nil)
	c2.send(Message{Type: TypeJoin, Resume: joined.Resume})
	c2.expect(TypeError, CodeResumeExpired)
	if n := gaugeValue(f.srv.metrics.detached); n != 0 {
		t.Fatalf("waiting gauge %v", n)
	}
}

func TestSessionEnds(t *testing.T) {
	f := newFixture(t, nil)
	c := f.dial(t, "", nil)
	c.send(Message{Type: TypeJoin, Lawyer: 5})
	joined := c.expect(TypeJoined, "")
	f.host.session(0).endFromServer("ice_failed")
	if m := c.expect(TypeState, ""); m.State != StateEnded || m.Reason != "ice_failed" {
		t.Fatalf("state = %+v", m)
	}
	c.closed()
	c2 := f.dial(t, "", nil)
	c2.send(Message{Type: TypeJoin, Resume: joined.Resume})
	c2.expect(TypeError, CodeCallEnded)
}

func TestShutdown(t *testing.T) {
	f := newFixture(t, nil)
	a, b, idle := f.dial(t, "", nil), f.dial(t, "", nil), f.dial(t, "", nil)
	a.send(Message{Type: TypeJoin, Lawyer: 1})
	a.expect(TypeJoined, "")
	b.send(Message{Type: TypeJoin, Lawyer: 2})
	b.expect(TypeJoined, "")
	_ = b.ws.NetConn().Close() // b's call waits for a resume
	<-b.done
	waitFor(t, func() bool { return f.host.session(1).lost.Load() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if m := a.expect(TypeState, ""); m.State != StateEnded || m.Reason != ReasonServerShutdown {
		t.Fatalf("state = %+v", m)
	}
	if code := a.closed(); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d", code)
	}
	idle.expect(TypeError, CodeShuttingDown)
	idle.closed()
	for _, s := range f.host.all() {
		waitDone(t, s)
		if s.hangupReason() != ReasonServerShutdown {
			t.Fatalf("%s hangup reason %q", s.id, s.hangupReason())
		}
	}
	late := f.dial(t, "", nil)
	late.expect(TypeError, CodeShuttingDown)
	late.closed()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		return -1
	}
	return m.GetGauge().GetValue()
}
