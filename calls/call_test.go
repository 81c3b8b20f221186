package calls

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"go.uber.org/goleak"

	"fayun/dialog/answer"
	"fayun/dialog/handoff"
	"fayun/dialog/law"
	"fayun/dialog/tts"
	"fayun/lawyers"
	"fayun/media"
	"fayun/media/vpx"
	"fayun/signaling"
	"fayun/store/storetest"
)

// sink collects what the call sends through signaling.
type sink struct {
	mu     sync.Mutex
	states []signaling.State
	reason string
	cands  chan webrtc.ICECandidateInit
}

func (s *sink) State(st signaling.State, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states = append(s.states, st)
	if reason != "" {
		s.reason = reason
	}
}

func (s *sink) Candidate(c webrtc.ICECandidateInit) {
	select {
	case s.cands <- c:
	default:
	}
}

// testHost builds a host on a fresh database with the real embedded engines. The law
// corpus is imported when FAYUN_TEST_LAWS names it.
func testHost(t *testing.T, withLaws bool) (*Host, *Records) {
	t.Helper()
	ctx := context.Background()
	pool := storetest.New(t)
	dir := lawyers.NewDirectory(pool)
	if _, err := dir.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if laws := os.Getenv("FAYUN_TEST_LAWS"); laws != "" && withLaws {
		if _, err := law.ImportDir(ctx, pool, laws, log); err != nil {
			t.Fatalf("import laws: %v", err)
		}
	}
	engine, _, err := answer.Load(ctx, pool, handoff.Policy{}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Index().Close() })
	api, err := media.NewAPI(media.Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecords(pool, "test")
	h := NewHost(Config{Log: log, Media: api, Directory: dir, Records: rec, Answerer: engine,
		Voice: tts.ESpeak{}})
	return h, rec
}

// client is a headless caller: a pion peer that receives the avatar's media and talks on
// the events data channel.
type client struct {
	pc          *webrtc.PeerConnection
	dc          *webrtc.DataChannel
	mu          sync.Mutex
	events      []map[string]any
	got         chan struct{}
	audioPkts   atomic.Int64
	videoFrames atomic.Int64
}

func newClient(t *testing.T) *client {
	t.Helper()
	api, err := media.NewAPI(media.Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection()
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{pc: pc, got: make(chan struct{}, 1000)}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	cl.dc, err = pc.CreateDataChannel("events", nil)
	if err != nil {
		t.Fatal(err)
	}
	cl.dc.OnMessage(func(m webrtc.DataChannelMessage) {
		var e map[string]any
		if json.Unmarshal(m.Data, &e) == nil {
			cl.mu.Lock()
			cl.events = append(cl.events, e)
			cl.mu.Unlock()
			cl.notify()
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
				cl.audioPkts.Add(1)
			}
		}
		dec, err := vpx.NewDecoder()
		if err != nil {
			return
		}
		defer dec.Close()
		sb := samplebuilder.New(64, &codecs.VP8Packet{}, 90000)
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			sb.Push(p)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				if img, err := dec.Decode(s.Data); err == nil && img != nil {
					cl.videoFrames.Add(1)
					cl.notify()
				}
			}
		}
	})
	return cl
}

func (cl *client) notify() {
	select {
	case cl.got <- struct{}{}:
	default:
	}
}

func (cl *client) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for !cond() {
		select {
		case <-cl.got:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			cl.mu.Lock()
			defer cl.mu.Unlock()
			t.Fatalf("timed out waiting for %s; events: %v", what, cl.events)
		}
	}
}

func (cl *client) has(typ string, match func(map[string]any) bool) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, e := range cl.events {
		if e["type"] == typ && (match == nil || match(e)) {
			return true
		}
	}
	return false
}

// connect negotiates the client with the call: offer, answer and trickled candidates.
func (cl *client) connect(t *testing.T, call signaling.Session, s *sink) {
	t.Helper()
	cl.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			_ = call.AddCandidate(c.ToJSON())
		}
	})
	offer, err := cl.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	ans, err := call.Offer(context.Background(), offer.SDP)
	if err != nil {
		t.Fatalf("offer: %v", err)
	}
	if err := cl.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer,
		SDP: ans}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for c := range s.cands {
			_ = cl.pc.AddICECandidate(c)
		}
	}()
}

func TestCallGreetsAnswersAndRecords(t *testing.T) {
	h, rec := testHost(t, true)
	// The pool and the search index belong to the test; the call must leave nothing.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := &sink{cands: make(chan webrtc.ICECandidateInit, 64)}
	sess, err := h.Start(context.Background(), signaling.JoinRequest{Lawyer: 12, Lang: "zh"}, s)
	if err != nil {
		t.Fatal(err)
	}
	call := sess.(*Call)
	cl := newClient(t)
	defer cl.pc.Close()
	cl.connect(t, sess, s)

	cl.waitFor(t, "call info", func() bool { return cl.has("call", nil) })
	cl.waitFor(t, "greeting", func() bool {
		return cl.has("caption", func(e map[string]any) bool {
			return e["speaker"] == "avatar" && strings.Contains(e["text"].(string), "数字分身")
		})
	})
	cl.waitFor(t, "idle video frames", func() bool { return cl.videoFrames.Load() >= 10 })
	cl.waitFor(t, "greeting audio", func() bool { return cl.audioPkts.Load() >= 25 })

	if err := cl.dc.SendText(`{"type":"ask","text":"厂房租赁合同最长能签几年？"}`); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("FAYUN_TEST_LAWS") != "" {
		cl.waitFor(t, "a citation", func() bool {
			return cl.has("citation", func(e map[string]any) bool {
				return e["law"] == "中华人民共和国民法典" && e["article"] == float64(705)
			})
		})
	}
	// Cut the answer short once it is being spoken: the turn is then recorded as
	// interrupted, without waiting for the whole reply to play out in real time.
	cl.waitFor(t, "the answer's first words", func() bool {
		return cl.has("caption", func(e map[string]any) bool {
			return e["speaker"] == "avatar" && strings.Contains(e["text"].(string), "二十年")
		})
	})
	if err := cl.dc.SendText(`{"type":"interrupt"}`); err != nil {
		t.Fatal(err)
	}
	cl.waitFor(t, "the interrupted turn", func() bool {
		return cl.has("turn", func(e map[string]any) bool { return e["interrupted"] == true })
	})
	for _, bad := range []string{`not json`, `{"type":"dance"}`, `{"type":"ask","text":"  "}`,
		`{"type":"lang","lang":"fr"}`} {
		_ = cl.dc.SendText(bad)
	}
	cl.waitFor(t, "four errors", func() bool {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		n := 0
		for _, e := range cl.events {
			if e["type"] == "error" {
				n++
			}
		}
		return n == 4
	})

	sess.Hangup(signaling.ReasonCallerHangup)
	select {
	case <-sess.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("call did not end")
	}
	if h.Live() != 0 || h.Speaking() != 0 || h.Faces().IdleStreams() != 1 {
		t.Errorf("after hangup: live %d speaking %d idle streams %d (want 0, 0, 1 lingering)",
			h.Live(), h.Speaking(), h.Faces().IdleStreams())
	}
	tr, err := rec.TranscriptByToken(context.Background(), call.TranscriptToken())
	if err != nil {
		t.Fatal(err)
	}
	if tr.EndedAt == nil || tr.EndReason != signaling.ReasonCallerHangup || len(tr.Turns) != 1 {
		t.Fatalf("stored call %+v", tr)
	}
	if err := rec.Rate(context.Background(), tr.ID, "wrong-token", 5, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("rating with a wrong token: %v", err)
	}
	if err := rec.Rate(context.Background(), tr.ID, tr.TranscriptToken, 5, "清楚"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Rate(context.Background(), tr.ID, tr.TranscriptToken, 4, ""); !errors.Is(err, ErrRated) {
		t.Errorf("second rating: %v", err)
	}
	cl.pc.Close()
	close(s.cands)
	h.Shutdown(context.Background())
	if n := h.Faces().IdleStreams(); n != 0 {
		t.Errorf("%d idle streams after shutdown", n)
	}
}

func TestStartRefusals(t *testing.T) {
	h, _ := testHost(t, false)
	s := &sink{cands: make(chan webrtc.ICECandidateInit, 64)}
	_, err := h.Start(context.Background(), signaling.JoinRequest{Lawyer: 9999}, s)
	if !errors.Is(err, signaling.ErrUnknownLawyer) {
		t.Errorf("unknown lawyer: %v", err)
	}
	h.cfg.MaxCalls = 1
	sess, err := h.Start(context.Background(), signaling.JoinRequest{Lawyer: 1}, s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sess.Hangup("test"); <-sess.Done() }()
	_, err = h.Start(context.Background(), signaling.JoinRequest{Lawyer: 2}, s)
	var oc *signaling.OverCapacityError
	if !errors.As(err, &oc) || oc.RetryAfter <= 0 {
		t.Errorf("second call over MaxCalls: %v", err)
	}

	for _, tt := range []struct {
		name, sdp string
		want      error
	}{
		{"garbage", "hello", signaling.ErrInvalidSDP},
		{"video only", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
			"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", signaling.ErrNoAudio},
		{"no opus", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
			"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n", signaling.ErrUnsupportedCodec},
	} {
		if _, err := sess.Offer(context.Background(), tt.sdp); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
