package signaling

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// nullHost starts sessions with no media, so benchmarks measure signaling alone.
type nullHost struct{ n atomic.Int64 }

func (h *nullHost) Start(context.Context, JoinRequest, Sink) (Session, error) {
	return &nullSession{id: "b" + strconv.FormatInt(h.n.Add(1), 10),
		done: make(chan struct{})}, nil
}

type nullSession struct {
	id   string
	once sync.Once
	done chan struct{}
}

func (s *nullSession) ID() string                                    { return s.id }
func (s *nullSession) Offer(context.Context, string) (string, error) { return "v=0", nil }
func (s *nullSession) AddCandidate(webrtc.ICECandidateInit) error    { return nil }
func (s *nullSession) Hangup(string)                                 { s.once.Do(func() { close(s.done) }) }
func (s *nullSession) Done() <-chan struct{}                         { return s.done }

// BenchmarkDecodeOffer decodes a browser-sized offer frame (about 5 KB).
func BenchmarkDecodeOffer(b *testing.B) {
	frame, _ := json.Marshal(Message{Type: TypeOffer,
		SDP: strings.Repeat("a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n", 100)})
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, perr := decode(frame); perr != nil {
			b.Fatal(perr)
		}
	}
}

// BenchmarkCallLifecycle runs connect, join, offer/answer, hangup and close over a real
// loopback socket: the signaling cost of one call.
func BenchmarkCallLifecycle(b *testing.B) {
	srv, err := New(Config{Host: &nullHost{}, JoinsPerMinute: 1e9, JoinBurst: 1 << 30,
		MaxSocketsPerIP: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer func() { _ = srv.Shutdown(context.Background()) }()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	join, _ := json.Marshal(Message{Type: TypeJoin, Lawyer: 1, Lang: LangChinese})
	offer, _ := json.Marshal(Message{Type: TypeOffer, SDP: strings.Repeat("x", 4000)})
	hangup, _ := json.Marshal(Message{Type: TypeHangup})
	for b.Loop() {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range [][]byte{join, offer, hangup} {
			if err := ws.WriteMessage(websocket.TextMessage, f); err != nil {
				b.Fatal(err)
			}
		}
		for want := 3; want > 0; want-- { // joined, answer, state ended
			if _, _, err := ws.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err,
			websocket.CloseNormalClosure) {
			b.Fatalf("want close 1000, got %v", err)
		}
		_ = ws.Close()
	}
}
