package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"fayun/media"
	"fayun/media/vpx"
	"fayun/signaling"
)

// Timeouts of one caller.
const (
	joinTimeout    = 15 * time.Second // WebSocket dial to `joined`
	connectTimeout = 20 * time.Second // offer to ICE connected
	greetTimeout   = 20 * time.Second // connected to the end of the greeting
	answerTimeout  = 30 * time.Second // end of a question to the avatar's first audio
	quietBeforeAsk = time.Second      // avatar silence that marks the end of its reply
	pauseBetween   = 1500 * time.Millisecond
)

// callerResult is what one caller saw.
type callerResult struct {
	talker      bool
	joinErr     string // error code or cause; empty when joined
	joined      bool
	connected   bool
	connectErr  string
	connectedAt time.Time
	hangupAt    time.Time
	endReason   string
	serverErrs  []string

	frames        *frameClock
	audioPackets  int
	decoded       int
	decodeErrors  int
	turns         []float64 // ms, end of own speech → first avatar audio packet
	serverTurns   []float64 // ms, the server's own first-audio figure from `turn`
	unanswered    int
	questionsSent int
}

// caller is one headless WebRTC client holding one call.
type caller struct {
	cfg    *Config
	speech *Speech
	wsURL  string
	api    *media.API
	idx    int
	lawyer int

	ws  *websocket.Conn
	wmu sync.Mutex // serialises WebSocket writes
	pc  *webrtc.PeerConnection
	dc  *webrtc.DataChannel
	mic *webrtc.TrackLocalStaticSample

	joinCh    chan signaling.Message
	answerCh  chan struct{}
	connected chan struct{}
	readDone  chan struct{}

	mu        sync.Mutex // guards the fields below and res
	answered  bool
	held      []webrtc.ICECandidateInit
	state     string
	lastAudio time.Time
	speechEnd time.Time
	awaiting  bool
	res       callerResult
}

func newCaller(cfg *Config, sp *Speech, wsURL string, api *media.API, idx int) *caller {
	return &caller{cfg: cfg, speech: sp, wsURL: wsURL, api: api, idx: idx,
		lawyer: idx%cfg.Lawyers + 1,
		joinCh: make(chan signaling.Message, 1), answerCh: make(chan struct{}, 1),
		connected: make(chan struct{}), readDone: make(chan struct{}),
		res: callerResult{talker: talks(idx, cfg.Calls, cfg.Talkers), frames: newFrameClock(cfg.FPS)}}
}

// result returns a copy of what the caller saw; call it after run returns.
func (c *caller) result() callerResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.res
	fc := *c.res.frames
	r.frames = &fc
	return r
}

// run joins, connects, holds the call for the configured duration and hangs up. It
// returns early when ctx ends.
func (c *caller) run(ctx context.Context) {
	if err := c.join(ctx); err != nil {
		c.mu.Lock()
		c.res.joinErr = err.Error()
		c.mu.Unlock()
		if c.ws != nil {
			_ = c.ws.Close()
		}
		return
	}
	defer c.close()
	c.mu.Lock()
	c.res.joined = true
	c.mu.Unlock()
	if err := c.connect(ctx); err != nil {
		c.mu.Lock()
		c.res.connectErr = err.Error()
		c.mu.Unlock()
		return
	}
	now := time.Now()
	c.mu.Lock()
	c.res.connected, c.res.connectedAt = true, now
	c.mu.Unlock()

	hold, cancel := context.WithDeadline(ctx, now.Add(c.cfg.Duration))
	defer cancel()
	c.talk(hold)
	c.mu.Lock()
	c.res.hangupAt = time.Now()
	c.mu.Unlock()
}

// joinError is a refusal of `join` by the server; its text is the error code.
type joinError struct{ code string }

func (e joinError) Error() string { return e.code }

// join dials the WebSocket and sends `join`; it returns when `joined` arrives.
func (c *caller) join(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	ws, resp, err := websocket.DefaultDialer.DialContext(dctx, c.wsURL, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	c.ws = ws
	go c.readLoop()
	if err := c.send(signaling.Message{Type: signaling.TypeJoin, Lawyer: c.lawyer,
		Lang: c.cfg.Lang}); err != nil {
		return err
	}
	select {
	case m := <-c.joinCh:
		if m.Type == signaling.TypeError {
			return joinError{string(m.Code)}
		}
		return nil
	case <-c.readDone:
		return errors.New("socket closed before joined")
	case <-dctx.Done():
		return errors.New("join_timeout (no joined within 15 s)")
	}
}

func (c *caller) send(m signaling.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.ws.WriteJSON(m); err != nil {
		return fmt.Errorf("send %s: %w", m.Type, err)
	}
	return nil
}

// readLoop handles every server message until the socket closes.
func (c *caller) readLoop() {
	defer close(c.readDone)
	joined := false
	for {
		var m signaling.Message
		if err := c.ws.ReadJSON(&m); err != nil {
			return
		}
		switch m.Type {
		case signaling.TypeJoined:
			if !joined {
				joined = true
				c.joinCh <- m
			}
		case signaling.TypeError:
			if !joined {
				select {
				case c.joinCh <- m:
				default:
				}
				continue
			}
			c.mu.Lock()
			c.res.serverErrs = append(c.res.serverErrs, string(m.Code))
			c.mu.Unlock()
		case signaling.TypeAnswer:
			c.applyAnswer(m.SDP)
		case signaling.TypeCandidate:
			c.addCandidate(m.Candidate)
		case signaling.TypeState:
			c.setState(string(m.State))
			if m.State == signaling.StateEnded {
				c.mu.Lock()
				c.res.endReason = m.Reason
				c.mu.Unlock()
			}
		}
	}
}

func (c *caller) applyAnswer(sdp string) {
	if c.pc == nil {
		return
	}
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer,
		SDP: sdp})
	c.mu.Lock()
	if err != nil {
		c.res.serverErrs = append(c.res.serverErrs, "bad_answer")
	}
	c.answered = true
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, ci := range held {
		_ = c.pc.AddICECandidate(ci)
	}
	select {
	case c.answerCh <- struct{}{}:
	default:
	}
}

func (c *caller) addCandidate(ci *webrtc.ICECandidateInit) {
	if ci == nil || c.pc == nil {
		return
	}
	c.mu.Lock()
	if !c.answered {
		c.held = append(c.held, *ci)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	_ = c.pc.AddICECandidate(*ci)
}

func (c *caller) setState(s string) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

// connect builds the peer connection, sends the offer and waits for ICE to connect.
func (c *caller) connect(ctx context.Context) error {
	pc, err := c.api.NewPeerConnection()
	if err != nil {
		return err
	}
	c.pc = pc
	c.mic, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "loadtest")
	if err != nil {
		return err
	}
	if _, err := pc.AddTransceiverFromTrack(c.mic, webrtc.RTPTransceiverInit{
		Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		return err
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{
		Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return err
	}
	if c.dc, err = pc.CreateDataChannel("events", nil); err != nil {
		return err
	}
	c.dc.OnMessage(func(m webrtc.DataChannelMessage) { c.onEvent(m.Data) })
	pc.OnTrack(c.onTrack)
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		if ic != nil {
			ci := ic.ToJSON()
			_ = c.send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &ci})
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	if err := c.send(signaling.Message{Type: signaling.TypeOffer, SDP: offer.SDP}); err != nil {
		return err
	}
	t := time.NewTimer(connectTimeout)
	defer t.Stop()
	select {
	case <-c.connected:
		return nil
	case <-c.readDone:
		return errors.New("socket closed before media connected")
	case <-t.C:
		return errors.New("ice_timeout (media not connected within 20 s)")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// onEvent reads one message of the events data channel.
func (c *caller) onEvent(data []byte) {
	var e struct {
		Type          string `json:"type"`
		State         string `json:"state"`
		FirstAudioMS  *int   `json:"first_audio_ms"`
		SpeechToAudio *int   `json:"speech_end_to_first_audio_ms"`
		Interrupted   bool   `json:"interrupted"`
	}
	if json.Unmarshal(data, &e) != nil {
		return
	}
	switch e.Type {
	case "state":
		c.setState(e.State)
	case "turn":
		ms := e.FirstAudioMS
		if ms == nil {
			ms = e.SpeechToAudio
		}
		if ms != nil && *ms >= 0 && !e.Interrupted {
			c.mu.Lock()
			c.res.serverTurns = append(c.res.serverTurns, float64(*ms))
			c.mu.Unlock()
		}
	}
}

// onTrack reads the avatar's audio (counting packets and timing turns) or video
// (accounting frames, decoding the first second or all of it).
func (c *caller) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if tr.Kind() == webrtc.RTPCodecTypeAudio {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			c.onAvatarAudio(time.Now())
		}
	}
	dec, err := vpx.NewDecoder()
	if err != nil {
		return
	}
	defer dec.Close()
	sb := samplebuilder.New(128, &codecs.VP8Packet{}, 90000)
	keyed := false
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		c.mu.Lock()
		if p.Marker {
			c.res.frames.frame(p.Timestamp, now)
		}
		decode := c.cfg.DecodeAll || c.res.decoded+c.res.decodeErrors < c.cfg.FPS
		c.mu.Unlock()
		if !decode {
			continue
		}
		sb.Push(p)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			// Decoding starts at a keyframe: the lowest bit of a VP8 frame tag is 0 for a
			// key frame (RFC 6386 §9.1).
			if !keyed && (len(s.Data) == 0 || s.Data[0]&1 != 0) {
				continue
			}
			keyed = true
			img, err := dec.Decode(s.Data)
			c.mu.Lock()
			if err != nil || img == nil {
				c.res.decodeErrors++
			} else {
				c.res.decoded++
			}
			c.mu.Unlock()
		}
	}
}

func (c *caller) onAvatarAudio(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.audioPackets++
	c.lastAudio = at
	if c.awaiting && at.After(c.speechEnd) {
		c.awaiting = false
		c.res.turns = append(c.res.turns, float64(at.Sub(c.speechEnd))/float64(time.Millisecond))
	}
}

// talk sends the caller's microphone every 20 ms until ctx ends: silence (or nothing)
// for a silent caller; for a talker, questions with pauses, each asked once the avatar
// has finished its greeting or previous answer.
func (c *caller) talk(ctx context.Context) {
	t := time.NewTicker(Frame)
	defer t.Stop()
	talker := c.res.talker
	script := newTalkScript(c, talker)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pkt := script.next(time.Now())
		if pkt == nil && (talker || c.cfg.IdleAudio) && c.speech != nil {
			pkt = c.speech.Silence
		}
		if pkt != nil {
			_ = c.mic.WriteSample(pionmedia.Sample{Data: pkt, Duration: Frame})
		}
	}
}

// close hangs up and releases the socket and the peer connection.
func (c *caller) close() {
	if c.ws != nil {
		_ = c.send(signaling.Message{Type: signaling.TypeHangup, Reason: "loadtest"})
		select {
		case <-c.readDone:
		case <-time.After(3 * time.Second):
		}
		_ = c.ws.Close()
		<-c.readDone
	}
	if c.pc != nil {
		_ = c.pc.Close()
	}
}
