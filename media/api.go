// Package media owns the WebRTC side of a call: a pion API built on purpose (Opus and VP8
// only, a hand-made interceptor chain with small NACK buffers, ICE settings for public
// addresses, port ranges and a loopback-only test mode), the avatar's outgoing audio (PCM →
// Opus, paced in 20 ms frames, flushable for barge-in) and video (a shared pre-encoded idle
// loop per avatar, a per-call VP8 encoder while the avatar speaks, switched without
// renegotiation), the caller's incoming audio (Opus → 16 kHz PCM frames), and an optional
// embedded TURN server. It knows nothing of law, dialog or avatars: frames come from a
// FrameSource callback and audio from plain PCM.
package media

import (
	"fmt"
	"net"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/webrtc/v4"
)

// Payload types offered by the server. Browsers use the same numbers by convention; when a
// remote offer uses others, pion sends with the remote's numbers.
const (
	// OpusPayloadType is the RTP payload type of Opus (RFC 7587 §7, dynamic).
	OpusPayloadType = 111
	// VP8PayloadType is the RTP payload type of VP8 (RFC 7741 §6, dynamic).
	VP8PayloadType = 96
)

// Config shapes every peer connection an API makes. The zero value is a usable public
// configuration with no ICE servers. The lead maps FAYUN_* settings onto it (see
// docs/media.md).
type Config struct {
	// LoopbackOnly gathers and accepts only loopback UDP4 candidates, with mDNS off: the mode
	// for tests and network namespaces without other interfaces. FAYUN_ICE_LOOPBACK_ONLY,
	// default false.
	LoopbackOnly bool
	// NAT1To1IPs are public addresses that replace the host's private address in host
	// candidates (a server behind 1:1 NAT, such as a cloud VM with an elastic IP).
	// FAYUN_NAT1TO1_IPS, comma separated, default none.
	NAT1To1IPs []string
	// UDPPortMin and UDPPortMax bound the local UDP ports ICE may use; both 0 lets the system
	// choose. FAYUN_UDP_PORT_MIN / FAYUN_UDP_PORT_MAX, default 0.
	UDPPortMin, UDPPortMax uint16
	// ICEServers are the STUN/TURN servers the server's own peers use and that are handed to
	// clients in the `joined` message. FAYUN_ICE_SERVERS, default none.
	ICEServers []webrtc.ICEServer
	// NACKBufferPackets is how many sent video packets each outgoing stream keeps for
	// retransmission on NACK (RFC 4585 §6.2.1); a power of two. Default 128 (about 1.5 s of
	// 480×360 video at 500 kbps). pion's default, 1024, costs about 3 MB per peer.
	// FAYUN_NACK_BUFFER.
	NACKBufferPackets uint16
}

// API makes peer connections that share one configuration.
type API struct {
	api *webrtc.API
	cfg Config
}

// NewAPI builds the pion API described by cfg.
func NewAPI(cfg Config) (*API, error) {
	if cfg.NACKBufferPackets == 0 {
		cfg.NACKBufferPackets = 128
	}
	if n := cfg.NACKBufferPackets; n&(n-1) != 0 {
		return nil, fmt.Errorf("media new api: nack buffer %d is not a power of two", n)
	}
	me, err := newMediaEngine()
	if err != nil {
		return nil, fmt.Errorf("media new api: %w", err)
	}
	reg, err := newInterceptors(me, cfg)
	if err != nil {
		return nil, fmt.Errorf("media new api: %w", err)
	}
	se, err := newSettingEngine(cfg)
	if err != nil {
		return nil, fmt.Errorf("media new api: %w", err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
	return &API{api: api, cfg: cfg}, nil
}

// Config returns the configuration the API was built with, defaults filled in.
func (a *API) Config() Config { return a.cfg }

// NewPeerConnection returns a peer connection using the API's ICE servers.
func (a *API) NewPeerConnection() (*webrtc.PeerConnection, error) {
	pc, err := a.api.NewPeerConnection(webrtc.Configuration{ICEServers: a.cfg.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("media new peer connection: %w", err)
	}
	return pc, nil
}

// NewPeerConnectionWith returns a peer connection with an explicit configuration (for
// example a client that must relay through TURN).
func (a *API) NewPeerConnectionWith(c webrtc.Configuration) (*webrtc.PeerConnection, error) {
	pc, err := a.api.NewPeerConnection(c)
	if err != nil {
		return nil, fmt.Errorf("media new peer connection: %w", err)
	}
	return pc, nil
}

// newMediaEngine registers only Opus and VP8: nothing else is ever negotiated.
func newMediaEngine() (*webrtc.MediaEngine, error) {
	me := &webrtc.MediaEngine{}
	// RFC 7587 §7: Opus is always signalled as 48000/2; mono is a decoder matter.
	opus := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: OpusPayloadType,
	}
	if err := me.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	// RFC 7741 §6.1: VP8 uses a 90 kHz clock. Feedback: generic NACK and PLI (RFC 4585
	// §4.2) and FIR (RFC 5104 §7.1).
	vp8 := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{
				{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
			},
		},
		PayloadType: VP8PayloadType,
	}
	if err := me.RegisterCodec(vp8, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register vp8: %w", err)
	}
	return me, nil
}

// newInterceptors builds the RTP/RTCP chain by hand: NACK generator and responder (RFC 4585
// §6.2.1) with a small retransmission buffer, and RTCP sender and receiver reports (RFC 3550
// §6.4). Keyframe requests (PLI, FIR) pass through to the RTPSender, where DrainRTCP reads
// them.
func newInterceptors(me *webrtc.MediaEngine, cfg Config) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorSize(512))
	if err != nil {
		return nil, fmt.Errorf("nack generator: %w", err)
	}
	resp, err := nack.NewResponderInterceptor(nack.ResponderSize(cfg.NACKBufferPackets))
	if err != nil {
		return nil, fmt.Errorf("nack responder: %w", err)
	}
	reg.Add(resp)
	reg.Add(gen)
	recv, err := report.NewReceiverInterceptor()
	if err != nil {
		return nil, fmt.Errorf("receiver reports: %w", err)
	}
	send, err := report.NewSenderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("sender reports: %w", err)
	}
	reg.Add(recv)
	reg.Add(send)
	return reg, nil
}

func newSettingEngine(cfg Config) (webrtc.SettingEngine, error) {
	var se webrtc.SettingEngine
	if cfg.LoopbackOnly {
		// Without the loopback candidate nothing is gathered in a loopback-only namespace.
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	if len(cfg.NAT1To1IPs) > 0 {
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.NAT1To1IPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		})
		if err != nil {
			return se, fmt.Errorf("nat 1:1 ips %v: %w", cfg.NAT1To1IPs, err)
		}
	}
	if cfg.UDPPortMin != 0 || cfg.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return se, fmt.Errorf("udp port range %d-%d: %w", cfg.UDPPortMin, cfg.UDPPortMax, err)
		}
	}
	return se, nil
}

// ParseICEServers parses the FAYUN_ICE_SERVERS form: entries separated by spaces or commas,
// each a URL (stun:host:port, turn:host:port?transport=udp, turns:…), optionally prefixed by
// "username:credential@" for TURN, for example
// "stun:stun.example.com:3478 alice:secret@turn:turn.example.com:3478".
func ParseICEServers(s string) ([]webrtc.ICEServer, error) {
	var out []webrtc.ICEServer
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		var srv webrtc.ICEServer
		if at := strings.LastIndex(f, "@"); at >= 0 {
			// The credential never holds a colon; a TURN REST username may (expiry:user).
			c := strings.LastIndex(f[:at], ":")
			if c < 0 {
				return nil, fmt.Errorf("parse ice servers: %q: want user:credential@url", f)
			}
			srv.Username, srv.Credential = f[:c], f[c+1:at]
			f = f[at+1:]
		}
		if !strings.HasPrefix(f, "stun:") && !strings.HasPrefix(f, "turn:") &&
			!strings.HasPrefix(f, "turns:") {
			return nil, fmt.Errorf("parse ice servers: %q: scheme must be stun, turn or turns", f)
		}
		srv.URLs = []string{f}
		out = append(out, srv)
	}
	return out, nil
}
