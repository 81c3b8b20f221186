// Package signaling owns the WebSocket call protocol of Fayun (GET /ws/call): a client
// joins a call with a lawyer id and a language, negotiates WebRTC by SDP offer/answer with
// trickle ICE both ways, hears call state changes, hangs up, and, when its socket drops,
// resumes the same call within a grace period with a token and an ICE restart. It
// enforces the socket's limits (origin, message size, message rate, per-address join rate
// and socket count, ping/pong liveness) and answers every refusal with a stable error code.
//
// Signaling knows nothing of media or dialog: calls are started by a Host and driven
// through a Session, small interfaces the per-call glue implements. The wire protocol is
// specified in docs/protocol.md.
package signaling

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Config shapes a Server. Zero fields take the defaults named on each; docs/protocol.md
// lists the FAYUN_* settings that map onto them.
type Config struct {
	// Host starts calls. Required.
	Host Host
	// Log receives lifecycle events (Info) and protocol detail (Debug). Default: discard.
	Log *slog.Logger
	// AllowedOrigins lists extra browser origins ("https://kiosk.example.com") allowed to
	// open sockets, besides the page's own origin, which is always allowed. "*" allows any
	// origin. Requests without an Origin header (non-browser clients) are allowed.
	// FAYUN_WS_ORIGINS, default none (same origin only).
	AllowedOrigins []string
	// ICEServers returns the STUN/TURN servers sent to the client in every `joined`
	// (called per join, so time-limited TURN credentials stay fresh). Default: none.
	ICEServers func() []webrtc.ICEServer
	// MaxMessageBytes caps one client frame. FAYUN_WS_MAX_MESSAGE, default 65536.
	MaxMessageBytes int
	// ResumeGrace is how long a call outlives its dropped socket, waiting for a resume.
	// FAYUN_RESUME_GRACE, default 30s.
	ResumeGrace time.Duration
	// JoinsPerMinute and JoinBurst limit new calls (and failed resumes) per client address
	// with a token bucket. FAYUN_JOIN_RATE (per minute), default 10; FAYUN_JOIN_BURST,
	// default 5.
	JoinsPerMinute float64
	JoinBurst      int
	// MaxSocketsPerIP caps open sockets per client address. FAYUN_WS_MAX_PER_IP, default 20.
	MaxSocketsPerIP int
	// MessagesPerSecond and MessageBurst limit frames per socket (token bucket); going over
	// closes the socket. Defaults 20 and 100.
	MessagesPerSecond float64
	MessageBurst      int
	// PingInterval is how often the server pings; a socket silent for 2.5 intervals (no
	// pong, no message) is considered dropped. FAYUN_WS_PING_INTERVAL, default 15s.
	PingInterval time.Duration
	// JoinTimeout closes a socket that has not joined a call in time. Default 30s.
	JoinTimeout time.Duration
	// WriteTimeout bounds one frame write. Default 10s.
	WriteTimeout time.Duration
	// StartTimeout bounds Host.Start and OfferTimeout bounds Session.Offer. Default 15s.
	StartTimeout, OfferTimeout time.Duration
	// SendQueue is the number of frames queued for one socket's writer; a client that
	// falls this far behind is disconnected (it may resume). Default 128.
	SendQueue int
	// ClientIP finds the caller's address. Default: the host part of RemoteAddr. Behind a
	// reverse proxy, supply one that reads the proxy's header (see TrustedProxyIP).
	ClientIP func(*http.Request) string
	// Registerer, when set, receives the server's Prometheus collectors.
	Registerer prometheus.Registerer
}

func (c Config) withDefaults() Config {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.ICEServers == nil {
		c.ICEServers = func() []webrtc.ICEServer { return nil }
	}
	setDefault(&c.MaxMessageBytes, 64<<10)
	setDefault(&c.ResumeGrace, 30*time.Second)
	setDefault(&c.JoinsPerMinute, 10)
	setDefault(&c.JoinBurst, 5)
	setDefault(&c.MaxSocketsPerIP, 20)
	setDefault(&c.MessagesPerSecond, 20)
	setDefault(&c.MessageBurst, 100)
	setDefault(&c.PingInterval, 15*time.Second)
	setDefault(&c.JoinTimeout, 30*time.Second)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.StartTimeout, 15*time.Second)
	setDefault(&c.OfferTimeout, 15*time.Second)
	setDefault(&c.SendQueue, 128)
	if c.ClientIP == nil {
		c.ClientIP = RemoteIP
	}
	return c
}

func setDefault[T int | float64 | time.Duration](p *T, def T) {
	if *p <= 0 {
		*p = def
	}
}

// RemoteIP returns the host part of r.RemoteAddr: the default Config.ClientIP.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// TrustedProxyIP returns a Config.ClientIP for a server behind exactly one reverse proxy:
// the last address in X-Forwarded-For (the one the proxy saw), else RemoteIP.
func TrustedProxyIP(r *http.Request) string {
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) > 0 {
		parts := strings.Split(xff[len(xff)-1], ",")
		if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
			return ip
		}
	}
	return RemoteIP(r)
}

// Server is the http.Handler for GET /ws/call. Create it with New; stop it with Shutdown.
type Server struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	joins    *ipLimiter
	metrics  *metrics

	mu        sync.Mutex
	closed    bool
	conns     map[*conn]struct{}
	perIP     map[string]int
	calls     map[string]*call     // live calls by resume token
	gone      map[string]tombstone // ended calls by resume token
	lastSweep time.Time
	wg        sync.WaitGroup // socket handlers and call watchers
}

// tombstone remembers why a resume token stopped working, for a clear error.
type tombstone struct {
	code Code
	at   time.Time
}

// tombstoneTTL is how long an ended call's token still earns a specific error.
const tombstoneTTL = 10 * time.Minute

// New returns a Server. It fails only when Host is missing or collectors cannot be
// registered.
func New(cfg Config) (*Server, error) {
	if cfg.Host == nil {
		return nil, fmt.Errorf("signaling: config: Host is required")
	}
	cfg = cfg.withDefaults()
	m := newMetrics()
	if cfg.Registerer != nil {
		if err := m.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("signaling: register metrics: %w", err)
		}
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Log,
		joins:   newIPLimiter(cfg.JoinsPerMinute, cfg.JoinBurst),
		metrics: m,
		conns:   map[*conn]struct{}{},
		perIP:   map[string]int{},
		calls:   map[string]*call{},
		gone:    map[string]tombstone{},
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		// The origin was checked before Upgrade, with a JSON refusal; see ServeHTTP.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return s, nil
}

// ServeHTTP upgrades GET /ws/call to a WebSocket and runs the protocol on it until the
// socket closes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := s.cfg.ClientIP(r)
	if !s.originAllowed(r) {
		s.metrics.refused(CodeOriginNotAllowed)
		s.log.InfoContext(r.Context(), "websocket origin refused", "remote_ip", ip,
			"origin", r.Header.Get("Origin"))
		writeHTTPError(w, http.StatusForbidden, CodeOriginNotAllowed,
			"this page's origin may not open call sockets")
		return
	}
	// The slot is taken before the upgrade so that the socket refused is always the one
	// over the limit, and the refusal still reaches a browser as an error message.
	perr := s.reserve(ip)
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		if perr == nil {
			s.unreserve(ip)
		}
		return // Upgrade has answered with an HTTP error
	}
	if perr != nil {
		s.metrics.refused(perr.code)
		s.log.InfoContext(r.Context(), "websocket refused", "remote_ip", ip,
			"code", string(perr.code))
		refuseSocket(ws, perr, s.cfg.WriteTimeout)
		return
	}
	c := newConn(s, ws, ip, r.UserAgent())
	s.register(c)
	defer s.release(c)
	c.run()
}

// reserve counts a new socket from ip unless the server is stopping or ip has too many.
func (s *Server) reserve(ip string) *protoError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fatal(CodeShuttingDown, websocket.CloseGoingAway,
			"the server is restarting; connect again in a few seconds")
	}
	if s.perIP[ip] >= s.cfg.MaxSocketsPerIP {
		return fatal(CodeTooManySockets, websocket.ClosePolicyViolation,
			"too many open call sockets from this address")
	}
	s.perIP[ip]++
	s.wg.Add(1)
	s.metrics.sockets.Inc()
	return nil
}

func (s *Server) unreserve(ip string) {
	s.mu.Lock()
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
	s.mu.Unlock()
	s.metrics.sockets.Dec()
	s.wg.Done()
}

// register makes an upgraded socket visible to Shutdown. One that arrives during
// Shutdown is refused at once.
func (s *Server) register(c *conn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		c.fail(fatal(CodeShuttingDown, websocket.CloseGoingAway,
			"the server is restarting; connect again in a few seconds"))
	}
}

func (s *Server) release(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.unreserve(c.ip)
}

// originAllowed implements the same-origin rule plus Config.AllowedOrigins. Browsers
// always send Origin on WebSocket requests (RFC 6455 §4.1, item 8); others may omit it.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range s.cfg.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimRight(a, "/"), origin) {
			return true
		}
	}
	return false
}

// Shutdown stops new sockets, ends every call with `state: ended` and reason
// server_shutdown (hanging up its session), closes every socket, and waits for their
// goroutines and sessions until ctx ends; then it closes what is left and returns
// ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	calls := make([]*call, 0, len(s.calls))
	for _, cl := range s.calls {
		calls = append(calls, cl)
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	for _, cl := range calls {
		s.finish(cl, ReasonServerShutdown, CodeCallEnded, true)
	}
	for _, c := range conns {
		c.fail(fatal(CodeShuttingDown, websocket.CloseGoingAway,
			"the server is restarting; connect again in a few seconds"))
	}

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			_ = c.ws.Close()
		}
		return ctx.Err()
	}
}

// newToken returns 32 random bytes, base64url without padding (43 characters).
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("resume token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// writeHTTPError answers a request that was not upgraded with the same JSON error object
// a socket would carry.
func writeHTTPError(w http.ResponseWriter, status int, code Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Message{Type: TypeError, Code: code, Text: msg, Fatal: true})
}

// refuseSocket sends one fatal error on a socket that never ran the protocol and
// closes it.
func refuseSocket(ws *websocket.Conn, perr *protoError, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	_ = ws.SetWriteDeadline(deadline)
	_ = ws.WriteMessage(websocket.TextMessage, errorFrame(perr))
	_ = ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(perr.closeCode, string(perr.code)), deadline)
	_ = ws.Close()
}

func errorFrame(perr *protoError) []byte {
	m := Message{Type: TypeError, Code: perr.code, Text: perr.msg,
		RetryAfterMS: perr.retryAfter.Milliseconds(), Position: perr.position,
		Fatal: perr.closeCode != 0}
	b, _ := json.Marshal(m)
	return b
}
