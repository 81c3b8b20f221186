package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"fayun/internal/envflag"
	"fayun/media"
)

// mediaSettings are the WebRTC settings of `fayun serve` (docs/media.md).
type mediaSettings struct {
	loopbackOnly bool
	nat1to1      string
	portMin      int
	portMax      int
	iceServers   string
	nackBuffer   int

	turnEnable bool
	turnListen string
	turnPublic string
	turnSecret string
	turnRealm  string
	turnTTL    time.Duration
}

func (m *mediaSettings) register(fs *envflag.Set) {
	fs.Bool(&m.loopbackOnly, "ice-loopback-only", false,
		"gather and accept only loopback candidates, mDNS off (tests, private namespaces)")
	fs.String(&m.nat1to1, "nat1to1-ips", "",
		"public IPs advertised instead of the host's private address, comma separated")
	fs.Int(&m.portMin, "udp-port-min", 0, "lowest local UDP port for media (0 = any)")
	fs.Int(&m.portMax, "udp-port-max", 0, "highest local UDP port for media (0 = any)")
	fs.String(&m.iceServers, "ice-servers", "",
		"STUN/TURN servers for server and clients: [user:pass@]stun:host:port, comma separated")
	fs.Int(&m.nackBuffer, "nack-buffer", 128,
		"video packets kept per stream for retransmission (power of two)")
	fs.Bool(&m.turnEnable, "turn-enable", false, "run the embedded TURN server")
	fs.String(&m.turnListen, "turn-listen", "0.0.0.0:3478", "UDP address of the embedded TURN server")
	fs.String(&m.turnPublic, "turn-public-ip", "", "address clients reach the TURN server at")
	fs.String(&m.turnSecret, "turn-secret", "", "shared secret of time-limited TURN credentials")
	fs.String(&m.turnRealm, "turn-realm", "fayun", "TURN realm")
	fs.Duration(&m.turnTTL, "turn-ttl", time.Hour, "lifetime of handed-out TURN credentials")
}

func (m *mediaSettings) config() (media.Config, error) {
	cfg := media.Config{LoopbackOnly: m.loopbackOnly}
	for _, ip := range strings.Split(m.nat1to1, ",") {
		if ip = strings.TrimSpace(ip); ip != "" {
			cfg.NAT1To1IPs = append(cfg.NAT1To1IPs, ip)
		}
	}
	switch {
	case m.portMin < 0 || m.portMin > 65535:
		return cfg, fmt.Errorf("FAYUN_UDP_PORT_MIN: want 0 to 65535, got %d", m.portMin)
	case m.portMax < 0 || m.portMax > 65535:
		return cfg, fmt.Errorf("FAYUN_UDP_PORT_MAX: want 0 to 65535, got %d", m.portMax)
	case m.portMax < m.portMin:
		return cfg, fmt.Errorf("FAYUN_UDP_PORT_MAX (%d) is below FAYUN_UDP_PORT_MIN (%d)",
			m.portMax, m.portMin)
	case m.nackBuffer < 1 || m.nackBuffer > 32768 || m.nackBuffer&(m.nackBuffer-1) != 0:
		return cfg, fmt.Errorf("FAYUN_NACK_BUFFER: want a power of two up to 32768, got %d",
			m.nackBuffer)
	case m.turnEnable && (m.turnPublic == "" || m.turnSecret == ""):
		return cfg, fmt.Errorf("FAYUN_TURN_ENABLE needs FAYUN_TURN_PUBLIC_IP and FAYUN_TURN_SECRET")
	}
	cfg.UDPPortMin, cfg.UDPPortMax = uint16(m.portMin), uint16(m.portMax)
	cfg.NACKBufferPackets = uint16(m.nackBuffer)
	servers, err := media.ParseICEServers(m.iceServers)
	if err != nil {
		return cfg, fmt.Errorf("FAYUN_ICE_SERVERS: %w", err)
	}
	cfg.ICEServers = servers
	return cfg, nil
}

// startTURN starts the embedded TURN server when enabled and returns the function that
// lists ICE servers for a new client: the configured ones plus, with TURN, fresh
// time-limited credentials.
func (m *mediaSettings) startTURN(cfg media.Config, log *slog.Logger) (
	*media.TURNServer, func() []webrtc.ICEServer, error) {
	static := func() []webrtc.ICEServer { return cfg.ICEServers }
	if !m.turnEnable {
		return nil, static, nil
	}
	ts, err := media.StartTURN(media.TURNConfig{ListenAddr: m.turnListen, PublicIP: m.turnPublic,
		Realm: m.turnRealm, Secret: m.turnSecret, CredentialTTL: m.turnTTL, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("FAYUN_TURN_ENABLE: %w", err)
	}
	return ts, func() []webrtc.ICEServer {
		return append(append([]webrtc.ICEServer(nil), cfg.ICEServers...), ts.ICEServer("caller"))
	}, nil
}
