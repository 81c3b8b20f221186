package calls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"fayun/dialog"
	"fayun/media"
	"fayun/signaling"
)

// A human lawyer joins a live call (issue 7). The lawyer's browser holds a second peer
// connection with this node; its camera and microphone tracks are forwarded to the
// caller by swapping the avatar's outgoing tracks on the caller's senders
// (RTPSender.ReplaceTrack, W3C WebRTC §5.2: no renegotiation), and the caller's audio,
// already decoded for the conversation, is re-encoded to the lawyer. The conversation
// is paused, so the avatar stays silent while the caller's speech is still transcribed.

// ErrLawyerPresent is returned by JoinLawyer when a lawyer is already in the call.
var ErrLawyerPresent = errors.New("calls: a lawyer is already in this call")

// ErrCallOver is returned by JoinLawyer for a call that has ended.
var ErrCallOver = errors.New("calls: the call has ended")

// LawyerJoin describes the lawyer joining a call.
type LawyerJoin struct {
	LawyerID int
	Name     string
	// OnCandidate receives this node's ICE candidates for the lawyer's browser.
	OnCandidate func(webrtc.ICECandidateInit)
	// OnCaption, if set, receives the call's captions (the caller's words, and the
	// avatar's before the join) so the lawyer's console can show the transcript live.
	OnCaption func(speaker, text string, final bool)
}

// LawyerLeg is a lawyer's media connection joined to a call.
type LawyerLeg struct {
	c    *Call
	join LawyerJoin
	pc   *webrtc.PeerConnection

	toLawyer  *media.AudioSender
	callerPCM chan []int16
	fwdAudio  *webrtc.TrackLocalStaticRTP
	fwdVideo  *webrtc.TrackLocalStaticRTP

	mu         sync.Mutex
	videoSSRC  webrtc.SSRC
	hasVideo   bool
	forwarding [2]bool         // audio, video swapped onto the caller's senders
	streams    [2]continuation // where the lawyer's packets land on the caller's streams

	wg       sync.WaitGroup
	stopOnce sync.Once
	done     chan struct{}
}

// JoinLawyer connects a lawyer to the call: the avatar stops answering, the caller is
// told that a lawyer is in the call (state "lawyer"), and the returned leg takes the
// lawyer browser's offer. The caller keeps the avatar's picture and voice until the
// lawyer's tracks arrive.
func (c *Call) JoinLawyer(j LawyerJoin) (*LawyerLeg, error) {
	select {
	case <-c.ctx.Done():
		return nil, ErrCallOver
	default:
	}
	pc, err := c.host.cfg.Media.NewPeerConnection()
	if err != nil {
		return nil, fmt.Errorf("calls: lawyer peer connection: %w", err)
	}
	leg := &LawyerLeg{c: c, join: j, pc: pc, callerPCM: make(chan []int16, 50),
		done: make(chan struct{})}
	if err := leg.setup(); err != nil {
		_ = pc.Close()
		return nil, err
	}
	if !c.leg.CompareAndSwap(nil, leg) {
		leg.closeMedia()
		return nil, ErrLawyerPresent
	}
	c.human.Store(true)
	c.conv.SetPaused(true)
	c.showIdleVideo()
	c.log.Info("lawyer joined", "lawyer_id", j.LawyerID)
	c.sink.State(signaling.StateLawyer, "")
	c.send(event{Type: "state", State: string(dialog.Lawyer)})
	c.send(event{Type: "lawyer", Status: "joined", Lawyer: &struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}{j.LawyerID, j.Name}})
	return leg, nil
}

func (l *LawyerLeg) setup() error {
	c := l.c
	at, err := media.NewAudioTrack("fayun-lawyer-" + c.rec.ID)
	if err != nil {
		return err
	}
	if _, err := l.pc.AddTrack(at); err != nil {
		return fmt.Errorf("calls: add caller audio track: %w", err)
	}
	l.toLawyer, err = media.NewAudioSender(at, media.AudioSenderConfig{Logger: c.log})
	if err != nil {
		return err
	}
	if l.fwdAudio, err = media.NewAudioTrack("fayun-" + c.rec.ID); err != nil {
		return err
	}
	if l.fwdVideo, err = media.NewVideoTrack("fayun-" + c.rec.ID); err != nil {
		return err
	}
	l.wg.Add(1)
	go func() { defer l.wg.Done(); l.feedCaller() }()
	l.pc.OnTrack(l.onTrack)
	l.pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		if ic != nil && l.join.OnCandidate != nil {
			l.join.OnCandidate(ic.ToJSON())
		}
	})
	l.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			go l.HandBack()
		}
	})
	return nil
}

// Offer applies the lawyer browser's offer (audio sendrecv, video sendonly or
// sendrecv) and returns the answer.
func (l *LawyerLeg) Offer(ctx context.Context, offer string) (string, error) {
	if err := checkOffer(offer); err != nil {
		return "", err
	}
	err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer})
	if err != nil {
		return "", fmt.Errorf("%w: %v", signaling.ErrInvalidSDP, err)
	}
	ans, err := l.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", signaling.ErrInvalidSDP, err)
	}
	if err := l.pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("calls: set local description: %w", err)
	}
	return l.pc.LocalDescription().SDP, nil
}

// AddCandidate adds an ICE candidate of the lawyer's browser.
func (l *LawyerLeg) AddCandidate(ci webrtc.ICECandidateInit) error {
	if err := l.pc.AddICECandidate(ci); err != nil {
		return fmt.Errorf("%w: %v", signaling.ErrBadCandidate, err)
	}
	return nil
}

// Done is closed when the leg ends: hand back, the call's end, or the lawyer's
// connection failing.
func (l *LawyerLeg) Done() <-chan struct{} { return l.done }

// CallDone is closed when the whole call ends.
func (l *LawyerLeg) CallDone() <-chan struct{} { return l.c.done }

// onTrack forwards the lawyer's microphone and camera to the caller.
func (l *LawyerLeg) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	c := l.c
	kind := 0
	dst := l.fwdAudio
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		kind, dst = 1, l.fwdVideo
		l.mu.Lock()
		l.videoSSRC, l.hasVideo = tr.SSRC(), true
		l.mu.Unlock()
	}
	if err := l.swap(kind, dst); err != nil {
		c.log.Warn("forward lawyer track", "kind", tr.Kind().String(), "err", err)
		return
	}
	if kind == 1 {
		l.requestKeyframe()
		l.wg.Add(1)
		go func() { defer l.wg.Done(); l.keyframesAtStart() }()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if !l.rewrite(kind, p) {
				return
			}
			if err := dst.WriteRTP(p); err != nil && !errors.Is(err, io.ErrClosedPipe) {
				c.log.Debug("write lawyer rtp", "err", err)
			}
		}
	}()
}

// continuation maps the lawyer's RTP sequence numbers and timestamps onto the caller's
// stream, which the avatar's sender started: to the caller the lawyer's packets continue
// that stream (RFC 3550 §5.1). Without it Chromium takes the jump for old packets about
// half the time and decodes none of the lawyer's video.
type continuation struct {
	started       bool
	inSeq, outSeq uint16 // the lawyer's first packet and where it landed
	inTS, outTS   uint32
	nextSeq       uint16 // after the highest sequence number written
	lastTS        uint32
}

// rewrite puts packet p of the lawyer's stream kind onto the caller's stream; it reports
// false once the leg has ended.
func (l *LawyerLeg) rewrite(kind int, p *rtp.Packet) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	k := &l.streams[kind]
	if !k.started {
		if kind == 0 {
			k.outSeq, k.outTS = l.c.audio.Position(time.Now())
		} else {
			k.outSeq, k.outTS = l.c.video.Position(time.Now())
		}
		k.inSeq, k.inTS, k.started = p.SequenceNumber, p.Timestamp, true
		k.nextSeq, k.lastTS = k.outSeq, k.outTS
	}
	seq := k.outSeq + (p.SequenceNumber - k.inSeq)
	ts := k.outTS + (p.Timestamp - k.inTS)
	p.SequenceNumber, p.Timestamp = seq, ts
	if int16(seq-k.nextSeq) >= 0 {
		k.nextSeq = seq + 1
	}
	if int32(ts-k.lastTS) > 0 {
		k.lastTS = ts
	}
	// The lawyer's header extensions were negotiated with the lawyer's browser, whose
	// extension ids need not match the caller's (RFC 8285 §5).
	p.Extension, p.Extensions, p.ExtensionProfile = false, nil, 0
	return true
}

// swap puts track on the caller's audio (0) or video (1) sender, or back the avatar's.
func (l *LawyerLeg) swap(kind int, track *webrtc.TrackLocalStaticRTP) error {
	c := l.c
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return ErrCallOver
	default:
	}
	if err := c.senders[kind].ReplaceTrack(track); err != nil {
		return fmt.Errorf("calls: replace track: %w", err)
	}
	l.forwarding[kind] = true
	return nil
}

// keyframesAtStart asks the lawyer's browser for a keyframe a few times while the
// caller's decoder settles on the new stream.
func (l *LawyerLeg) keyframesAtStart() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for range 3 {
		select {
		case <-l.done:
			return
		case <-t.C:
			l.requestKeyframe()
		}
	}
}

// requestKeyframe sends a Picture Loss Indication (RFC 4585 §6.3.1) to the lawyer's
// browser.
func (l *LawyerLeg) requestKeyframe() {
	l.mu.Lock()
	ssrc, ok := l.videoSSRC, l.hasVideo
	l.mu.Unlock()
	if !ok {
		return
	}
	_ = l.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}})
}

// callerAudio takes 20 ms of the caller's 16 kHz audio; it never blocks.
func (l *LawyerLeg) callerAudio(pcm []int16) {
	select {
	case l.callerPCM <- pcm:
	default:
	}
}

// feedCaller re-encodes the caller's audio for the lawyer at 48 kHz.
func (l *LawyerLeg) feedCaller() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var prev int16
	for {
		select {
		case <-l.done:
			return
		case pcm := <-l.callerPCM:
			up := make([]int16, 3*len(pcm))
			for i, s := range pcm {
				// Linear interpolation between the previous sample and this one.
				d := int32(s) - int32(prev)
				up[3*i] = int16(int32(prev) + d/3)
				up[3*i+1] = int16(int32(prev) + 2*d/3)
				up[3*i+2] = s
				prev = s
			}
			if _, err := l.toLawyer.Enqueue(ctx, up); err != nil {
				return
			}
		}
	}
}

func (l *LawyerLeg) caption(speaker, text string, final bool) {
	if l.join.OnCaption != nil {
		l.join.OnCaption(speaker, text, final)
	}
}

// HandBack returns the call to the avatar, which greets the caller again. It is safe
// to call more than once and after the call ended.
func (l *LawyerLeg) HandBack() {
	if !l.stop() {
		return
	}
	c := l.c
	select {
	case <-c.ctx.Done():
		return
	default:
	}
	c.human.Store(false)
	c.conv.SetPaused(false)
	c.send(event{Type: "lawyer", Status: "left"})
	c.State(dialog.Listening)
	c.conv.Greet()
	c.log.Info("lawyer handed back", "lawyer_id", l.join.LawyerID)
}

// EndCall ends the whole call on the lawyer's word.
func (l *LawyerLeg) EndCall() {
	l.stop()
	l.c.end("lawyer_ended")
}

// stop restores the avatar's tracks and closes the lawyer's connection; it reports
// whether this call did it.
func (l *LawyerLeg) stop() bool {
	did := false
	l.stopOnce.Do(func() {
		did = true
		l.mu.Lock()
		close(l.done)
		c := l.c
		// The avatar's senders go on after the lawyer's last packets.
		if k := l.streams[0]; k.started {
			c.audio.Continue(k.nextSeq)
		}
		if k := l.streams[1]; k.started {
			c.video.Continue(k.nextSeq, k.lastTS)
		}
		for kind, tr := range c.tracks {
			if l.forwarding[kind] {
				if err := c.senders[kind].ReplaceTrack(tr); err != nil {
					c.log.Debug("restore avatar track", "err", err)
				}
			}
		}
		l.mu.Unlock()
		c.leg.CompareAndSwap(l, nil)
		c.video.RequestKeyframe()
		l.closeMedia()
	})
	return did
}

func (l *LawyerLeg) closeMedia() {
	if l.toLawyer != nil {
		l.toLawyer.Close()
	}
	_ = l.pc.Close()
	go l.wg.Wait()
}

// requestKeyframe serves the caller's keyframe requests: from the lawyer's browser
// while the lawyer's video is forwarded, else from the avatar's encoder.
func (c *Call) requestKeyframe() {
	if l := c.leg.Load(); l != nil {
		l.mu.Lock()
		fwd := l.forwarding[1]
		l.mu.Unlock()
		if fwd {
			l.requestKeyframe()
			return
		}
	}
	c.video.RequestKeyframe()
}

// HandoffAccepted tells the caller that lawyer name accepted and is joining.
func (c *Call) HandoffAccepted(lawyerID int, name string) {
	c.send(event{Type: "handoff", Status: "accepted", Lawyer: &struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}{lawyerID, name}})
}

// HandoffUnanswered tells the caller honestly that no lawyer is free, lets the avatar
// say so, and invites a callback request (event "callback" on the data channel).
func (c *Call) HandoffUnanswered() {
	if c.human.Load() {
		return
	}
	c.send(event{Type: "handoff", Status: "unanswered"})
	c.conv.Say(pickLang(c.rec.Lang,
		"抱歉，现在没有真人律师能接听。您可以继续问我，也可以留下电话或微信号和方便的时间，律师会回电给您。",
		"Sorry, no lawyer is free right now. You can keep asking me, or leave a phone number "+
			"or WeChat id and a good time, and a lawyer will call you back."),
		dialog.Listening)
}

// CallbackTaker stores a caller's callback request. The Handoffs of Config may
// implement it; the call then accepts "callback" events from the caller.
type CallbackTaker interface {
	Callback(ctx context.Context, callID, contactKind, contact, window string) error
}

// onCallback handles {"type":"callback","contact_kind":"phone"|"wechat","contact":…,
// "window":…} from the caller.
func (c *Call) onCallback(kind, contact, window string) {
	taker, ok := c.host.cfg.Handoffs.(CallbackTaker)
	if !ok {
		c.send(event{Type: "error", Code: "callback_unavailable",
			Message: "callbacks are not available on this service"})
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if err := taker.Callback(ctx, c.rec.ID, kind, contact, window); err != nil {
		c.log.Info("callback refused", "err", err)
		c.send(event{Type: "error", Code: "bad_callback",
			Message: "give a phone number or a WeChat id (and, if you like, a time window)"})
		return
	}
	c.send(event{Type: "callback", Status: "saved"})
}
