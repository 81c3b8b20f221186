package signaling

import (
	"fmt"
	"strings"
	"time"

	"fayun/internal/envflag"
)

// Settings are the operator's FAYUN_* settings for signaling. Register binds them to a
// flag set; Apply copies them into a Config. docs/signaling.md lists them.
type Settings struct {
	Origins      string        // FAYUN_WS_ORIGINS
	MaxMessage   int           // FAYUN_WS_MAX_MESSAGE
	MaxPerIP     int           // FAYUN_WS_MAX_PER_IP
	PingInterval time.Duration // FAYUN_WS_PING_INTERVAL
	ResumeGrace  time.Duration // FAYUN_RESUME_GRACE
	JoinRate     float64       // FAYUN_JOIN_RATE
	JoinBurst    int           // FAYUN_JOIN_BURST
	TrustProxy   bool          // FAYUN_TRUST_PROXY
}

// Register defines the settings on fs with their defaults.
func (s *Settings) Register(fs *envflag.Set) {
	fs.String(&s.Origins, "ws-origins", "",
		"extra browser origins allowed to open /ws/call, comma separated (\"*\" = any); "+
			"the page's own origin is always allowed")
	fs.Int(&s.MaxMessage, "ws-max-message", 64<<10, "largest signaling message in bytes")
	fs.Int(&s.MaxPerIP, "ws-max-per-ip", 20, "open call sockets allowed per client address")
	fs.Duration(&s.PingInterval, "ws-ping-interval", 15*time.Second,
		"how often call sockets are pinged; 2.5 intervals of silence drop the socket")
	fs.Duration(&s.ResumeGrace, "resume-grace", 30*time.Second,
		"how long a call waits for its client to resume after the socket drops")
	fs.Float(&s.JoinRate, "join-rate", 10, "new calls per minute allowed per client address")
	fs.Int(&s.JoinBurst, "join-burst", 5, "new calls a client address may start at once")
	fs.Bool(&s.TrustProxy, "trust-proxy", false,
		"take the client address from the last X-Forwarded-For entry (behind one proxy)")
}

// Apply validates the settings and copies them into cfg.
func (s Settings) Apply(cfg *Config) error {
	switch {
	case s.MaxMessage < 1024 || s.MaxMessage > 1<<20:
		return fmt.Errorf("FAYUN_WS_MAX_MESSAGE: want 1024 to 1048576 bytes, got %d", s.MaxMessage)
	case s.MaxPerIP < 1:
		return fmt.Errorf("FAYUN_WS_MAX_PER_IP: want at least 1, got %d", s.MaxPerIP)
	case s.PingInterval < time.Second:
		return fmt.Errorf("FAYUN_WS_PING_INTERVAL: want at least 1s, got %s", s.PingInterval)
	case s.ResumeGrace < time.Second || s.ResumeGrace > 10*time.Minute:
		return fmt.Errorf("FAYUN_RESUME_GRACE: want 1s to 10m, got %s", s.ResumeGrace)
	case s.JoinRate <= 0:
		return fmt.Errorf("FAYUN_JOIN_RATE: want a positive number, got %g", s.JoinRate)
	case s.JoinBurst < 1:
		return fmt.Errorf("FAYUN_JOIN_BURST: want at least 1, got %d", s.JoinBurst)
	}
	cfg.AllowedOrigins = nil
	for _, o := range strings.Split(s.Origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
		}
	}
	cfg.MaxMessageBytes = s.MaxMessage
	cfg.MaxSocketsPerIP = s.MaxPerIP
	cfg.PingInterval = s.PingInterval
	cfg.ResumeGrace = s.ResumeGrace
	cfg.JoinsPerMinute = s.JoinRate
	cfg.JoinBurst = s.JoinBurst
	if s.TrustProxy {
		cfg.ClientIP = TrustedProxyIP
	}
	return nil
}
