package media

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

var loopbackTURN = TURNConfig{ListenAddr: "127.0.0.1:0", PublicIP: "127.0.0.1", Secret: "s3cret"}

func TestTURNRelaysOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := StartTURN(loopbackTURN)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	api, err := NewAPI(Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ice := srv.ICEServer("call-1")
	if !strings.HasSuffix(ice.Username, ":call-1") || ice.Credential == "" {
		t.Fatalf("username %q", ice.Username)
	}
	// Both peers may only use relay candidates: media must flow through the server.
	relay := webrtc.Configuration{
		ICEServers: []webrtc.ICEServer{ice}, ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	}
	a, err := api.NewPeerConnectionWith(relay)
	if err != nil {
		t.Fatal(err)
	}
	b, err := api.NewPeerConnectionWith(relay)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	b.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(webrtc.DataChannelMessage) { close(opened) })
	})
	dc, err := a.CreateDataChannel("events", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() { _ = dc.SendText("hello") })
	connect(t, a, b)
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("no message through the relay")
	}
	pair, err := a.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("selected pair %v, %v", pair, err)
	}
	if pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("local candidate type %s, want relay", pair.Local.Typ)
	}
	if srv.Allocations() == 0 {
		t.Fatal("no allocation on the server")
	}
	_ = a.Close()
	_ = b.Close()
}

func TestTURNRefusesBadCredentials(t *testing.T) {
	srv, err := StartTURN(loopbackTURN)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	expired, pass := TURNCredentials("s3cret", "x", time.Now().Add(-time.Minute))
	good, goodPass := TURNCredentials("s3cret", "x", time.Now().Add(time.Minute))
	for _, tt := range []struct {
		name, user, pass string
		accept           bool // the username is acceptable
		keyMatch         bool // the server's key matches the client's password
	}{
		{"valid", good, goodPass, true, true},
		{"expired", expired, pass, false, false},
		// A password made with another secret yields a different key, so the request's
		// MESSAGE-INTEGRITY (RFC 8489 §14.5) fails.
		{"wrong secret", good, turnPassword("other", good), true, false},
		{"no expiry", "x", goodPass, false, false},
	} {
		_, key, ok := srv.authenticate(&turnRequest{Username: tt.user, Realm: "fayun"})
		if ok != tt.accept {
			t.Errorf("%s: ok=%v, want %v", tt.name, ok, tt.accept)
			continue
		}
		match := ok && string(key) == string(turnKey(tt.user, "fayun", tt.pass))
		if match != tt.keyMatch {
			t.Errorf("%s: key match %v, want %v", tt.name, match, tt.keyMatch)
		}
	}
}

func TestParseICEServers(t *testing.T) {
	got, err := ParseICEServers("stun:stun.example.com:3478, 1700000000:u:pw@turn:t.example.com:3478")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].URLs[0] != "stun:stun.example.com:3478" ||
		got[1].Username != "1700000000:u" || got[1].Credential != "pw" ||
		got[1].URLs[0] != "turn:t.example.com:3478" {
		t.Fatalf("got %+v", got)
	}
	if _, err := ParseICEServers("http://x"); err == nil {
		t.Fatal("http scheme accepted")
	}
}
