package calls

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"fayun/avatars"
	"fayun/dialog"
	"fayun/dialog/answer"
	"fayun/dialog/tts"
	"fayun/lawyers"
	"fayun/media"
	"fayun/signaling"
)

// Timeouts of a call's connection.
const (
	// connectTimeout ends a call whose media never connects after the first offer.
	connectTimeout = 30 * time.Second
	// failedGrace is how long a failed ICE connection may take to come back (the client
	// restarts ICE) before the call ends.
	failedGrace = 20 * time.Second
	// retryAfter is what an over-capacity refusal suggests.
	retryAfter = 20 * time.Second
	// maxEventBytes caps one message from the client on the events data channel.
	maxEventBytes = 8 << 10
)

// Call is one live call: a peer connection, a conversation and an avatar. It implements
// signaling.Session and dialog.Output.
type Call struct {
	host   *Host
	rec    Record
	lawyer lawyers.Lawyer
	sink   signaling.Sink
	log    *slog.Logger

	pc    *webrtc.PeerConnection
	audio *media.AudioSender
	video *media.VideoSender
	conv  *dialog.Conversation
	// The caller's audio and video senders and the avatar's tracks on them; a joined
	// lawyer's tracks replace these (lawyer.go).
	senders [2]*webrtc.RTPSender
	tracks  [2]*webrtc.TrackLocalStaticRTP
	leg     atomic.Pointer[LawyerLeg]

	// The avatar's own renderer, used while this call's video is its own (thinking and
	// speaking); the shared idle stream is used otherwise.
	rmu      sync.Mutex // guards renderer
	renderer *avatars.Renderer
	began    time.Time
	avState  atomic.Uint32 // avatars.State shown by the renderer
	vmu      sync.Mutex    // guards ownVideo
	ownVideo bool

	firstPacket atomic.Pointer[func()]

	events   chan []byte // to the data channel; bounded, drops when full
	limiter  eventLimiter
	dcReady  chan *webrtc.DataChannel
	dropped  atomic.Int64
	greeted  atomic.Bool
	human    atomic.Bool // a human lawyer has the call
	handedTo atomic.Bool

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	hangOnce sync.Once
	done     chan struct{}
	release  func()
	recorder *wavRecorder
}

func newCall(h *Host, rec Record, l lawyers.Lawyer, sink signaling.Sink) (*Call, error) {
	a, idle, release, err := h.faces.Watch(l)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Call{host: h, rec: rec, lawyer: l, sink: sink,
		log: h.cfg.Log.With("call_id", rec.ID, "lawyer_id", l.ID), began: time.Now(),
		events: make(chan []byte, 256), dcReady: make(chan *webrtc.DataChannel, 1),
		ctx: ctx, cancel: cancel, done: make(chan struct{}), release: release}
	c.avState.Store(uint32(avatars.Listening))
	fail := func(err error) (*Call, error) {
		cancel()
		release()
		if c.pc != nil {
			_ = c.pc.Close()
		}
		return nil, err
	}

	if c.renderer, err = a.NewRenderer(h.faces.size()); err != nil {
		return fail(err)
	}
	if err := c.setupMedia(idle); err != nil {
		return fail(err)
	}
	conv, err := dialog.New(dialog.Config{
		Persona: dialog.Persona{ID: l.ID, Name: l.Name, Gender: l.Gender},
		Lang:    rec.Lang, Answerer: h.cfg.Answerer, Speech: h.cfg.Speech, Voice: h.cfg.Voice,
		VAD: h.cfg.VAD, Log: c.log, Out: c,
	})
	if err != nil {
		return fail(err)
	}
	c.conv = conv
	if h.cfg.RecordDir != "" {
		if c.recorder, err = newWAVRecorder(h.cfg.RecordDir, rec.ID); err != nil {
			c.log.Warn("recording unavailable", "err", err)
		} else {
			_ = h.cfg.Records.SetRecording(ctx, rec.ID, c.recorder.path)
		}
	}
	c.wg.Add(2)
	go func() { defer c.wg.Done(); conv.Run(ctx) }()
	go func() { defer c.wg.Done(); c.writeEvents() }()
	c.watchConnection()
	return c, nil
}

// setupMedia builds the peer connection with the avatar's audio and video tracks.
func (c *Call) setupMedia(idle *media.IdleStream) error {
	pc, err := c.host.cfg.Media.NewPeerConnection()
	if err != nil {
		return fmt.Errorf("calls: peer connection: %w", err)
	}
	c.pc = pc
	at, err := media.NewAudioTrack("fayun-" + c.rec.ID)
	if err != nil {
		return err
	}
	vt, err := media.NewVideoTrack("fayun-" + c.rec.ID)
	if err != nil {
		return err
	}
	as, err := pc.AddTrack(at)
	if err != nil {
		return fmt.Errorf("calls: add audio track: %w", err)
	}
	vs, err := pc.AddTrack(vt)
	if err != nil {
		return fmt.Errorf("calls: add video track: %w", err)
	}
	c.senders, c.tracks = [2]*webrtc.RTPSender{as, vs}, [2]*webrtc.TrackLocalStaticRTP{at, vt}
	c.audio, err = media.NewAudioSender(at, media.AudioSenderConfig{Logger: c.log,
		OnTalkStart: func(time.Time) {
			if f := c.firstPacket.Swap(nil); f != nil {
				(*f)()
			}
		}})
	if err != nil {
		return err
	}
	c.video, err = media.NewVideoSender(vt, media.VideoSenderConfig{Idle: idle,
		Video: c.host.cfg.Video})
	if err != nil {
		return err
	}
	c.wg.Add(2)
	go func() { defer c.wg.Done(); media.DrainRTCP(as, nil) }()
	go func() { defer c.wg.Done(); media.DrainRTCP(vs, c.requestKeyframe) }()

	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeAudio {
			return
		}
		rx, err := media.ReceiveAudio(tr, media.AudioReceiverConfig{})
		if err != nil {
			c.log.Warn("caller audio unusable", "err", err)
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer rx.Close()
			for f := range rx.Frames() {
				s := make([]int16, len(f.Samples))
				copy(s, f.Samples[:])
				if c.recorder != nil {
					c.recorder.write(s)
				}
				c.conv.PushAudio(s)
				if l := c.leg.Load(); l != nil {
					l.callerAudio(s)
				}
			}
		}()
	})
	pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		if ic != nil {
			c.sink.Candidate(ic.ToJSON())
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != "events" {
			return
		}
		dc.OnOpen(func() {
			select {
			case c.dcReady <- dc:
			default:
			}
			c.onEventsOpen()
		})
		dc.OnMessage(func(m webrtc.DataChannelMessage) { c.onClientEvent(m.Data) })
	})
	return nil
}

// watchConnection ends calls whose media never connects or stays failed.
func (c *Call) watchConnection() {
	var failTimer *time.Timer
	var mu sync.Mutex
	connectTimer := time.AfterFunc(connectTimeout, func() {
		if c.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			c.end("ice_timeout")
		}
	})
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		mu.Lock()
		defer mu.Unlock()
		c.log.Debug("peer connection state", "state", s.String())
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connectTimer.Stop()
			if failTimer != nil {
				failTimer.Stop()
				failTimer = nil
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateDisconnected:
			if failTimer == nil {
				failTimer = time.AfterFunc(failedGrace, func() { c.end("ice_failed") })
			}
		}
	})
}

// end finishes the call from the server side and tells the client.
func (c *Call) end(reason string) {
	select {
	case <-c.done:
		return
	default:
	}
	c.sink.State(signaling.StateEnded, reason)
	c.Hangup(reason)
}

// ID implements signaling.Session.
func (c *Call) ID() string { return c.rec.ID }

// TranscriptToken returns the token that lets the caller read the transcript.
func (c *Call) TranscriptToken() string { return c.rec.TranscriptToken }

// Offer implements signaling.Session: it applies the caller's offer (the first one or
// an ICE restart, RFC 8839 §4.4.1.1.1) and returns the answer.
func (c *Call) Offer(ctx context.Context, offer string) (string, error) {
	if err := checkOffer(offer); err != nil {
		return "", err
	}
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer})
	if err != nil {
		return "", fmt.Errorf("%w: %v", signaling.ErrInvalidSDP, err)
	}
	ans, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", signaling.ErrInvalidSDP, err)
	}
	if err := c.pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("calls: set local description: %w", err)
	}
	return c.pc.LocalDescription().SDP, nil
}

// checkOffer refuses offers the call cannot use before pion sees them: no audio
// section, or no Opus (RFC 7587) among its formats.
func checkOffer(offer string) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %v", signaling.ErrInvalidSDP, err)
	}
	hasAudio, hasOpus := false, false
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		hasAudio = true
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToLower(a.Value), "opus/48000") {
				hasOpus = true
			}
		}
	}
	switch {
	case !hasAudio:
		return signaling.ErrNoAudio
	case !hasOpus:
		return fmt.Errorf("%w: the audio section offers no Opus", signaling.ErrUnsupportedCodec)
	}
	return nil
}

// AddCandidate implements signaling.Session.
func (c *Call) AddCandidate(ci webrtc.ICECandidateInit) error {
	if err := c.pc.AddICECandidate(ci); err != nil {
		return fmt.Errorf("%w: %v", signaling.ErrBadCandidate, err)
	}
	return nil
}

// Done implements signaling.Session.
func (c *Call) Done() <-chan struct{} { return c.done }

// Hangup implements signaling.Session: it stops the conversation, closes the media and
// records the end. It returns at once; the teardown finishes in the background.
func (c *Call) Hangup(reason string) {
	c.hangOnce.Do(func() {
		c.cancel()
		go c.teardown(reason)
	})
}

func (c *Call) teardown(reason string) {
	c.vmu.Lock()
	if c.ownVideo {
		c.ownVideo = false
		c.host.speaking.Add(-1)
	}
	c.vmu.Unlock()
	c.audio.Close()
	c.video.Close()
	if err := c.pc.Close(); err != nil {
		c.log.Debug("close peer connection", "err", err)
	}
	if l := c.leg.Load(); l != nil {
		l.stop()
	}
	c.wg.Wait()
	c.release()
	if c.recorder != nil {
		c.recorder.close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.host.cfg.Records.End(ctx, c.rec.ID, reason, c.handedTo.Load()); err != nil {
		c.log.Warn("record call end", "err", err)
	}
	c.host.forget(c)
	c.host.metrics.ended.Inc()
	c.log.Info("call ended", "reason", reason, "duration", time.Since(c.began).Round(time.Second),
		"dropped_events", c.dropped.Load(), "dropped_audio", c.conv.Dropped())
	close(c.done)
}

// SocketLost implements signaling.Presence.
func (c *Call) SocketLost() { c.log.Info("caller socket lost; waiting for resume") }

// SocketResumed implements signaling.Presence.
func (c *Call) SocketResumed() { c.log.Info("caller socket resumed") }

// --- events to the caller ----------------------------------------------------------

// event is one JSON message on the events data channel (docs/protocol.md).
type event struct {
	Type        string `json:"type"`
	State       string `json:"state,omitempty"`
	Speaker     string `json:"speaker,omitempty"`
	Text        string `json:"text,omitempty"`
	Lang        string `json:"lang,omitempty"`
	Final       *bool  `json:"final,omitempty"`
	Interrupted bool   `json:"interrupted,omitempty"`
	Law         string `json:"law,omitempty"`
	Article     int    `json:"article,omitempty"`
	Label       string `json:"label,omitempty"`
	// turn
	Seq             int  `json:"seq,omitempty"`
	TranscriptMS    *int `json:"transcript_ms,omitempty"`
	FirstSentenceMS *int `json:"first_sentence_ms,omitempty"`
	FirstAudioMS    *int `json:"first_audio_ms,omitempty"`
	// call
	Call       string `json:"call,omitempty"`
	Transcript string `json:"transcript,omitempty"`
	Lawyer     *struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	} `json:"lawyer,omitempty"`
	// handoff, error
	Status  string `json:"status,omitempty"`
	Topic   string `json:"topic,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (c *Call) send(e event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	select {
	case c.events <- b:
	default:
		c.dropped.Add(1)
	}
}

// writeEvents is the one writer of the data channel: it waits for the channel to open,
// then sends queued events in order.
func (c *Call) writeEvents() {
	var dc *webrtc.DataChannel
	select {
	case dc = <-c.dcReady:
	case <-c.ctx.Done():
		return
	}
	for {
		select {
		case b := <-c.events:
			if err := dc.SendText(string(b)); err != nil {
				c.log.Debug("data channel send", "err", err)
			}
		case <-c.ctx.Done():
			return
		}
	}
}

func (c *Call) onEventsOpen() {
	info := event{Type: "call", Call: c.rec.ID, Transcript: c.rec.TranscriptToken,
		Lawyer: &struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		}{c.lawyer.ID, c.lawyer.Name}}
	c.send(info)
	if c.greeted.CompareAndSwap(false, true) {
		c.conv.Greet()
	}
}

// clientEvent is a message from the caller on the events data channel.
type clientEvent struct {
	Type string `json:"type"`
	Text string `json:"text"`
	Lang string `json:"lang"`
	// callback
	ContactKind string `json:"contact_kind"`
	Contact     string `json:"contact"`
	Window      string `json:"window"`
}

func (c *Call) onClientEvent(data []byte) {
	if !c.limiter.allow(time.Now()) {
		c.send(event{Type: "error", Code: "too_many_messages",
			Message: "more than 5 messages a second; this one was dropped"})
		return
	}
	if len(data) > maxEventBytes {
		c.send(event{Type: "error", Code: "message_too_large",
			Message: "event messages are limited to 8 KiB"})
		return
	}
	var e clientEvent
	if err := json.Unmarshal(data, &e); err != nil {
		c.send(event{Type: "error", Code: "malformed_json", Message: "send JSON objects with a type"})
		return
	}
	switch e.Type {
	case "ask":
		text := strings.TrimSpace(e.Text)
		switch {
		case text == "":
			c.send(event{Type: "error", Code: "invalid_field", Message: "the question is empty"})
		case utf8.RuneCountInString(text) > answer.MaxQuestionRunes:
			c.send(event{Type: "error", Code: "invalid_field",
				Message: "questions are limited to 2,000 characters"})
		default:
			c.conv.Ask(text)
		}
	case "interrupt":
		c.conv.Interrupt()
	case "lang":
		if e.Lang != "zh" && e.Lang != "en" {
			c.send(event{Type: "error", Code: "invalid_field", Message: "lang must be zh or en"})
			return
		}
		c.conv.SetLang(e.Lang)
		c.send(event{Type: "lang", Lang: e.Lang})
	case "handoff":
		c.Handoff(dialog.HandoffRequest{Reason: "explicit_request",
			Topic: firstSpecialty(c.lawyer), Summary: c.conv.Summary()})
	case "callback":
		go c.onCallback(e.ContactKind, e.Contact, e.Window)
	default:
		c.send(event{Type: "error", Code: "unknown_type",
			Message: fmt.Sprintf("unknown event type %q", e.Type)})
	}
}

func firstSpecialty(l lawyers.Lawyer) string {
	if len(l.Specialties) > 0 {
		return l.Specialties[0]
	}
	return ""
}

// State implements dialog.Output.
func (c *Call) State(s dialog.State) {
	switch s {
	case dialog.Thinking:
		c.showOwnVideo(avatars.Thinking)
	case dialog.Speaking:
		c.showOwnVideo(avatars.Speaking)
	default:
		c.showIdleVideo()
	}
	c.sink.State(signaling.State(s), "")
	c.send(event{Type: "state", State: string(s)})
}

// Caption implements dialog.Output.
func (c *Call) Caption(cp dialog.Caption) {
	final := cp.Final
	if l := c.leg.Load(); l != nil {
		l.caption(string(cp.Speaker), cp.Text, final)
	}
	c.send(event{Type: "caption", Speaker: string(cp.Speaker), Text: cp.Text, Lang: cp.Lang,
		Final: &final, Interrupted: cp.Interrupted})
}

// Citation implements dialog.Output.
func (c *Call) Citation(ct answer.Citation) {
	text := ct.Text
	if r := []rune(text); len(r) > 160 {
		text = string(r[:160]) + "…"
	}
	c.send(event{Type: "citation", Law: ct.Law, Article: ct.Article, Label: ct.Label(), Text: text})
}

// Turn implements dialog.Output: the turn is recorded and its latencies reported.
func (c *Call) Turn(t dialog.Turn) {
	c.send(event{Type: "turn", Seq: t.Seq, TranscriptMS: ms(t.Transcript),
		FirstSentenceMS: ms(t.FirstSentence), FirstAudioMS: ms(t.FirstAudio),
		Interrupted: t.Interrupted})
	c.host.metrics.observeTurn(t)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.host.cfg.Records.AddTurn(ctx, c.rec.ID, t); err != nil {
			c.log.Warn("record turn", "err", err)
		}
	}()
}

// Handoff implements dialog.Output: the request goes to the lawyers' queue, or the
// caller is told honestly that no lawyer can be reached.
func (c *Call) Handoff(h dialog.HandoffRequest) {
	if c.human.Load() {
		return
	}
	lang := c.rec.Lang
	if c.host.cfg.Handoffs == nil {
		c.send(event{Type: "handoff", Status: "unavailable", Topic: h.Topic, Reason: string(h.Reason)})
		c.conv.Say(pickLang(lang,
			"抱歉，现在没有真人律师可以接入。您可以继续问我，或者稍后再打来。",
			"Sorry, no lawyer can join right now. You can keep asking me, or call again later."),
			dialog.Listening)
		return
	}
	err := c.host.cfg.Handoffs.Request(c.ctx, HandoffRequest{CallID: c.rec.ID,
		LawyerID: c.lawyer.ID, Topic: h.Topic, Reason: string(h.Reason), Summary: h.Summary,
		Lang: lang})
	if err != nil {
		c.log.Warn("handoff request failed", "err", err)
		c.send(event{Type: "handoff", Status: "failed", Topic: h.Topic})
		return
	}
	c.handedTo.Store(true)
	c.send(event{Type: "handoff", Status: "requested", Topic: h.Topic, Reason: string(h.Reason)})
	c.State(dialog.Handoff)
}

func pickLang(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// Play implements dialog.Output: the sentence's audio is queued on the audio sender and
// its visemes drive this call's renderer in step with the audio's playout position.
func (c *Call) Play(ctx context.Context, sp tts.Speech, firstPacket func()) error {
	if sp.Audio.Rate != tts.OutputRate {
		return fmt.Errorf("calls: speech at %d Hz, want %d", sp.Audio.Rate, tts.OutputRate)
	}
	c.firstPacket.Store(&firstPacket)
	c.showOwnVideo(avatars.Speaking)

	// Until Enqueue returns, assume the sentence starts after what is already queued.
	ahead := time.Duration(c.audio.QueuedFrames()) * 20 * time.Millisecond
	c.speak(sp, time.Since(c.began)+ahead)
	start, err := c.audio.Enqueue(ctx, sp.Audio.Samples)
	if err == nil {
		err = c.audio.Finish(ctx)
	}
	if err != nil {
		c.audio.Flush()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	// Now the start is known exactly: place the visemes on the playout clock.
	played := c.audio.PlayedSamples()
	at := time.Since(c.began) + samplesDur(int64(start)-int64(played))
	c.speak(sp, at)

	end := start + uint64(len(sp.Audio.Samples))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for c.audio.PlayedSamples() < end {
		select {
		case <-ctx.Done():
			c.audio.Flush()
			c.speak(tts.Speech{}, 0)
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

func samplesDur(n int64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(tts.OutputRate)
}

func (c *Call) speak(sp tts.Speech, at time.Duration) {
	c.rmu.Lock()
	c.renderer.Speak(sp.Visemes, at)
	c.rmu.Unlock()
}

// showOwnVideo switches the call's video to its own encoder, drawing the avatar in
// state st.
func (c *Call) showOwnVideo(st avatars.State) {
	c.avState.Store(uint32(st))
	c.vmu.Lock()
	defer c.vmu.Unlock()
	if c.ownVideo || c.human.Load() {
		return
	}
	if err := c.video.Speak(c.render); err != nil {
		c.log.Warn("start avatar video", "err", err)
		return
	}
	c.ownVideo = true
	c.host.speaking.Add(1)
}

// showIdleVideo returns the call to the avatar's shared idle stream.
func (c *Call) showIdleVideo() {
	c.avState.Store(uint32(avatars.Listening))
	c.vmu.Lock()
	defer c.vmu.Unlock()
	if !c.ownVideo {
		return
	}
	c.video.Idle()
	c.ownVideo = false
	c.host.speaking.Add(-1)
}

// render is the frame source of the call's own video encoder.
func (c *Call) render(dst *image.YCbCr, _ time.Duration) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if err := c.renderer.Render(dst, time.Since(c.began), avatars.State(c.avState.Load())); err != nil {
		c.log.Debug("render frame", "err", err)
	}
}

// eventLimiter is a token bucket for the caller's data-channel messages: 5 a second,
// bursts of 10. It is used from the data channel's one message goroutine.
type eventLimiter struct {
	tokens float64
	last   time.Time
}

func (l *eventLimiter) allow(now time.Time) bool {
	const rate, burst = 5.0, 10.0
	if l.last.IsZero() {
		l.tokens = burst
	} else {
		l.tokens = min(burst, l.tokens+now.Sub(l.last).Seconds()*rate)
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
