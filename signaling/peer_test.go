package signaling

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// loopbackAPI makes pion peers that gather and accept only loopback UDP4 candidates
// (PLATFORM.md: loopback candidates on, lo only, mDNS off).
func loopbackAPI(t testing.TB) *webrtc.API {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me))
}

// Lawyer ids the test host treats specially.
const (
	lawyerUnknown = 999
	lawyerBusy    = 998
	lawyerBroken  = 997
)

// testHost starts sessions backed by a real pion peer connection on loopback.
type testHost struct {
	api *webrtc.API

	mu       sync.Mutex
	sessions []*testSession
	starts   atomic.Int64
}

func (h *testHost) Start(_ context.Context, req JoinRequest, events Sink) (Session, error) {
	h.starts.Add(1)
	switch req.Lawyer {
	case lawyerUnknown:
		return nil, fmt.Errorf("lookup lawyer %d: %w", req.Lawyer, ErrUnknownLawyer)
	case lawyerBusy:
		return nil, &OverCapacityError{RetryAfter: 5e9, Position: 3}
	case lawyerBroken:
		return nil, errors.New("database on fire")
	}
	pc, err := h.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	s := &testSession{id: fmt.Sprintf("call-%d", len(h.sessions)+1), pc: pc, sink: events,
		req: req, done: make(chan struct{}), connected: make(chan struct{}, 8)}
	h.sessions = append(h.sessions, s)
	h.mu.Unlock()
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			events.Candidate(c.ToJSON())
		}
	})
	pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		if st == webrtc.ICEConnectionStateConnected {
			s.connected <- struct{}{}
			events.State(StateListening, "")
		}
	})
	return s, nil
}

func (h *testHost) session(i int) *testSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[i]
}

func (h *testHost) all() []*testSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*testSession(nil), h.sessions...)
}

// testSession is a Session over one pion peer connection.
type testSession struct {
	id        string
	pc        *webrtc.PeerConnection
	sink      Sink
	req       JoinRequest
	done      chan struct{}
	connected chan struct{}

	once   sync.Once
	reason atomic.Value // string
	lost   atomic.Int64
	back   atomic.Int64
}

func (s *testSession) ID() string { return s.id }

func (s *testSession) Offer(_ context.Context, offer string) (string, error) {
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(offer); err != nil {
		return "", fmt.Errorf("parse offer: %w: %v", ErrInvalidSDP, err)
	}
	audio := false
	for _, m := range parsed.MediaDescriptions {
		audio = audio || m.MediaName.Media == "audio"
	}
	if !audio {
		return "", fmt.Errorf("offer: %w", ErrNoAudio)
	}
	err := s.pc.SetRemoteDescription(webrtc.SessionDescription{
		Type: webrtc.SDPTypeOffer, SDP: offer})
	if err != nil {
		return "", fmt.Errorf("apply offer: %w: %v", ErrInvalidSDP, err)
	}
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create answer: %w", err)
	}
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("set answer: %w", err)
	}
	return s.pc.LocalDescription().SDP, nil
}

func (s *testSession) AddCandidate(c webrtc.ICECandidateInit) error {
	if err := s.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("add candidate: %w: %v", ErrBadCandidate, err)
	}
	return nil
}

func (s *testSession) Hangup(reason string) {
	s.once.Do(func() {
		s.reason.Store(reason)
		_ = s.pc.Close()
		close(s.done)
	})
}

func (s *testSession) Done() <-chan struct{} { return s.done }
func (s *testSession) SocketLost()           { s.lost.Add(1) }
func (s *testSession) SocketResumed()        { s.back.Add(1) }

func (s *testSession) hangupReason() string {
	r, _ := s.reason.Load().(string)
	return r
}

// endFromServer ends the call from the session's side, as the glue does on ICE failure.
func (s *testSession) endFromServer(reason string) {
	s.sink.State(StateEnded, reason)
	s.Hangup(reason)
}

// clientPeer is the caller's pion peer: audio sendrecv, video recvonly, data channel
// "events", as the protocol asks.
type clientPeer struct {
	pc     *webrtc.PeerConnection
	states chan webrtc.ICEConnectionState
}

func newClientPeer(t *testing.T, api *webrtc.API, withAudio bool) *clientPeer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if withAudio {
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "caller")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTrack(track); err != nil {
			t.Fatal(err)
		}
		_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pc.CreateDataChannel("events", nil); err != nil {
		t.Fatal(err)
	}
	p := &clientPeer{pc: pc, states: make(chan webrtc.ICEConnectionState, 32)}
	pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		select {
		case p.states <- st:
		default:
		}
	})
	return p
}

// offer creates and applies a local offer and returns its SDP.
func (p *clientPeer) offer(t *testing.T, restart bool) string {
	t.Helper()
	o, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	return o.SDP
}

func (p *clientPeer) applyAnswer(t *testing.T, sdp string) {
	t.Helper()
	err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer,
		SDP: sdp})
	if err != nil {
		t.Fatal(err)
	}
}

func hasAudio(sdpText string) bool { return strings.Contains(sdpText, "m=audio") }
