package media

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"fayun/media/vpx"
)

// FrameSource draws the picture at time t (since the start of the stream or utterance) into
// dst, an I420 image of the configured size that the caller reuses. It must not keep dst.
type FrameSource func(dst *image.YCbCr, t time.Duration)

// VideoConfig describes the encoded video. Zero values select the defaults given per field.
type VideoConfig struct {
	// Width and Height in pixels, even. Default 480×360.
	Width, Height int
	// FPS is the frame rate. Default 25.
	FPS int
	// BitrateKbps is the constant target bitrate. Default 500.
	BitrateKbps int
	// Threads per encoder. Default 1.
	Threads int
}

func (c *VideoConfig) defaults() {
	if c.Width == 0 || c.Height == 0 {
		c.Width, c.Height = 480, 360
	}
	if c.FPS == 0 {
		c.FPS = 25
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = 500
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
}

func (c VideoConfig) encoderConfig(keyInterval int) vpx.EncoderConfig {
	return vpx.EncoderConfig{
		Width: c.Width, Height: c.Height, FPS: c.FPS, BitrateKbps: c.BitrateKbps,
		Threads: c.Threads, KeyframeInterval: keyInterval,
	}
}

func (c VideoConfig) frameDur() time.Duration { return time.Second / time.Duration(c.FPS) }

// NewVideoTrack returns a VP8 track for the avatar's video, to be added to a peer connection
// and handed to NewVideoSender. It stays the same track for the whole call; only its source
// changes.
func NewVideoTrack(streamID string) (*webrtc.TrackLocalStaticRTP, error) {
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
	}, "video", streamID)
	if err != nil {
		return nil, fmt.Errorf("media new video track: %w", err)
	}
	return tr, nil
}

// videoFrame is one encoded frame already split into RTP payloads.
type videoFrame struct {
	payloads [][]byte
	key      bool
}

// IdleStreamConfig configures an IdleStream. Zero values select the defaults given per
// field.
type IdleStreamConfig struct {
	// Video is the encoding (default 480×360, 25 fps, 500 kbps).
	Video VideoConfig
	// Loop is the length of the idle loop. The source is drawn for t in [0, Loop) and should
	// join up smoothly at Loop. Rounded up to whole keyframe intervals. Default 4 s.
	Loop time.Duration
	// KeyframeEvery is the distance between keyframes in the loop: the longest a new viewer
	// (or one that lost a packet and sent a PLI) waits for a decodable picture. Default 1 s.
	KeyframeEvery time.Duration
	// Logger receives lifecycle messages; default slog.Default().
	Logger *slog.Logger
}

// IdleStream is an avatar's idle video, encoded once and sent to every call watching that
// avatar idle. The loop is encoded up front (keyframes at fixed positions, so it can start
// at any keyframe and wrap around from the last frame to the first, itself a keyframe) and
// one goroutine plays it at the frame rate, handing each frame to every subscriber. Running
// it costs no encoding at all: per viewer, only the RTP header rewrite and the SRTP send.
type IdleStream struct {
	cfg    IdleStreamConfig
	frames []videoFrame
	bytes  int

	subs atomic.Pointer[[]*VideoSender] // copy on write
	mu   sync.Mutex                     // writers of subs

	ticks atomic.Uint64

	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

// NewIdleStream encodes src into a loop and starts playing it (to nobody yet). Encoding takes
// about Loop×FPS encoder frames (a few hundred milliseconds). Close stops it.
func NewIdleStream(cfg IdleStreamConfig, src FrameSource) (*IdleStream, error) {
	cfg.Video.defaults()
	if cfg.Loop <= 0 {
		cfg.Loop = 4 * time.Second
	}
	if cfg.KeyframeEvery <= 0 {
		cfg.KeyframeEvery = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	fd := cfg.Video.frameDur()
	keyEvery := max(1, int(cfg.KeyframeEvery/fd))
	n := max(1, int((cfg.Loop+fd-1)/fd))
	n = (n + keyEvery - 1) / keyEvery * keyEvery

	frames, total, err := encodeLoop(cfg.Video, src, n, keyEvery)
	if err != nil {
		return nil, fmt.Errorf("media new idle stream: %w", err)
	}
	s := &IdleStream{cfg: cfg, frames: frames, bytes: total, done: make(chan struct{})}
	s.subs.Store(&[]*VideoSender{})
	s.wg.Add(1)
	go s.run()
	cfg.Logger.Debug("idle stream ready", "frames", n, "bytes", total)
	return s, nil
}

func encodeLoop(vc VideoConfig, src FrameSource, n, keyEvery int) ([]videoFrame, int, error) {
	// Automatic keyframes off (a huge interval): the loop's keyframes are the forced ones.
	enc, err := vpx.NewEncoder(vc.encoderConfig(1 << 30))
	if err != nil {
		return nil, 0, err
	}
	defer enc.Close()
	img := enc.NewFrame()
	frames := make([]videoFrame, n)
	total := 0
	var bufs [][]byte
	for i := range frames {
		src(img, time.Duration(i)*vc.frameDur())
		if i%keyEvery == 0 {
			enc.ForceKeyframe()
		}
		f, err := enc.Encode(img)
		if err != nil {
			return nil, 0, fmt.Errorf("encode idle frame %d: %w", i, err)
		}
		if len(f.Data) == 0 {
			return nil, 0, fmt.Errorf("encode idle frame %d: dropped by the encoder", i)
		}
		// Own storage per frame: bufs from the packetizer are reused.
		bufs = vp8Packets(bufs[:0], f.Data)
		store := make([]byte, 0, len(f.Data)+len(bufs))
		vf := videoFrame{key: f.Keyframe, payloads: make([][]byte, len(bufs))}
		for j, b := range bufs {
			store = append(store, b...)
			vf.payloads[j] = store[len(store)-len(b):]
		}
		frames[i] = vf
		total += len(store)
	}
	return frames, total, nil
}

// Subscribers returns how many calls currently watch the stream.
func (s *IdleStream) Subscribers() int { return len(*s.subs.Load()) }

// LoopBytes returns the size of the encoded loop.
func (s *IdleStream) LoopBytes() int { return s.bytes }

// LoopFrames returns the number of frames in the loop.
func (s *IdleStream) LoopFrames() int { return len(s.frames) }

// Close stops the stream. Subscribed senders stay usable but receive no idle frames.
func (s *IdleStream) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.wg.Wait()
}

func (s *IdleStream) subscribe(v *VideoSender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.subs.Load()
	next := make([]*VideoSender, len(old), len(old)+1)
	copy(next, old)
	next = append(next, v)
	s.subs.Store(&next)
}

func (s *IdleStream) unsubscribe(v *VideoSender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.subs.Load()
	next := make([]*VideoSender, 0, len(old))
	for _, o := range old {
		if o != v {
			next = append(next, o)
		}
	}
	s.subs.Store(&next)
}

func (s *IdleStream) run() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Video.frameDur())
	defer t.Stop()
	i := 0
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			f := &s.frames[i]
			for _, v := range *s.subs.Load() {
				v.idleFrame(f, now)
			}
			s.ticks.Add(1)
			i = (i + 1) % len(s.frames)
		}
	}
}

// VideoSenderConfig configures a VideoSender. Zero values select the defaults given per
// field.
type VideoSenderConfig struct {
	// Idle is the avatar's shared idle stream, watched whenever the call is not speaking.
	// Nil means the call sends no video while idle.
	Idle *IdleStream
	// Video is the encoding of the call's own speaking encoder. Default: the idle stream's,
	// else 480×360, 25 fps, 500 kbps. It must match the idle stream's size.
	Video VideoConfig
	// Logger receives warnings; default slog.Default().
	Logger *slog.Logger
}

// VideoSenderStats counts what a VideoSender did.
type VideoSenderStats struct {
	IdleFrames      uint64 // frames sent from the shared idle stream
	SpeakingFrames  uint64 // frames sent from the call's own encoder
	Keyframes       uint64 // keyframes sent, from either source
	Packets         uint64 // RTP packets written
	KeyframeRequest uint64 // PLI and FIR received
	Switches        uint64 // source switches completed (either way)
	EncodeErrors    uint64
	EncodeTime      time.Duration // total time spent drawing and encoding speaking frames
}

type videoMode int

const (
	modeIdle videoMode = iota
	modeSpeaking
	modeToIdle // speaking until the idle stream's next keyframe
)

// VideoSender feeds one call's video track from either the avatar's shared idle stream or
// the call's own speaking encoder, switching between them without renegotiation. The RTP
// stream the receiver sees stays one stream (RFC 3550 §5.1, §8): the track's SSRC, sequence
// numbers that go up by one per packet and timestamps that follow the wall clock at 90 kHz
// (RFC 7741 §4.1), whatever the source. Every switch lands on a keyframe: to speaking, the
// new encoder's first frame; back to idle, the idle stream's next keyframe, with the speaking
// encoder running until then.
type VideoSender struct {
	track *webrtc.TrackLocalStaticRTP
	cfg   VideoSenderConfig
	log   *slog.Logger

	mu      sync.Mutex
	mode    videoMode
	needKey bool // idle: waiting for the idle stream's next keyframe
	speaker *speaker
	seq     uint16
	clock   rtpClock
	lastTS  uint32
	sentAny bool
	pkt     rtp.Packet
	closed  bool
	stats   VideoSenderStats

	wg sync.WaitGroup // speaker goroutines
}

// NewVideoSender starts feeding track from cfg.Idle. Close stops it.
func NewVideoSender(track *webrtc.TrackLocalStaticRTP, cfg VideoSenderConfig) (
	*VideoSender, error,
) {
	if cfg.Video == (VideoConfig{}) && cfg.Idle != nil {
		cfg.Video = cfg.Idle.cfg.Video
	}
	cfg.Video.defaults()
	if cfg.Idle != nil {
		iv := cfg.Idle.cfg.Video
		if iv.Width != cfg.Video.Width || iv.Height != cfg.Video.Height {
			return nil, fmt.Errorf("media new video sender: size %dx%d differs from idle %dx%d",
				cfg.Video.Width, cfg.Video.Height, iv.Width, iv.Height)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	v := &VideoSender{
		track:   track,
		cfg:     cfg,
		log:     cfg.Logger,
		needKey: true,
		seq:     uint16(rand.Uint32()),
		clock:   newRTPClock(90000, rand.Uint32()),
	}
	if cfg.Idle != nil {
		cfg.Idle.subscribe(v)
	}
	return v, nil
}

// Speak switches the call to its own encoder drawing frames from src, starting with a
// keyframe at the next frame time. Calling it while already speaking replaces the source
// (t restarts at 0) and cancels a pending switch back to idle.
func (v *VideoSender) Speak(src FrameSource) error {
	if src == nil {
		return errors.New("media speak: nil frame source")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return ErrClosed
	}
	if v.speaker != nil {
		v.speaker.setSource(src)
		v.mode = modeSpeaking
		return nil
	}
	sp := newSpeaker(v, src)
	v.speaker = sp
	v.mode = modeSpeaking
	v.wg.Add(1)
	go sp.run()
	return nil
}

// Idle switches the call back to the shared idle stream at its next keyframe (at most
// IdleStreamConfig.KeyframeEvery later); until then the speaking encoder keeps drawing from
// its source. Without an idle stream the switch is immediate and video pauses.
func (v *VideoSender) Idle() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.mode != modeSpeaking {
		return
	}
	if v.cfg.Idle == nil {
		v.stopSpeakerLocked()
		return
	}
	v.mode = modeToIdle
}

// Speaking reports whether the call's own encoder is the source (including a pending switch
// back to idle).
func (v *VideoSender) Speaking() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.mode != modeIdle
}

// RequestKeyframe handles a PLI or FIR from the receiver (pass it to DrainRTCP). While
// speaking, the next encoded frame is a keyframe. While idle, the shared loop's next keyframe
// (at most KeyframeEvery away) serves: the loop is never re-encoded for one viewer.
func (v *VideoSender) RequestKeyframe() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stats.KeyframeRequest++
	if v.speaker != nil {
		v.speaker.forceKey.Store(true)
	}
}

// Position returns the sequence number the sender's next packet would carry and the RTP
// timestamp of instant now on its stream. Another source put on the same RTP sender
// (RTPSender.ReplaceTrack, as when a lawyer joins a call) continues the stream from there, so
// the receiver sees one stream going on (RFC 3550 §5.1) rather than a jump it may take for
// old packets.
func (v *VideoSender) Position(now time.Time) (seq uint16, ts uint32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ts = v.clock.at(now)
	if v.sentAny && int32(ts-v.lastTS) <= 0 {
		ts = v.lastTS + 1
	}
	return v.seq, ts
}

// Continue makes the sender go on after another source's packets: its next packet carries
// sequence number seq and a timestamp after ts.
func (v *VideoSender) Continue(seq uint16, ts uint32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq = seq
	if !v.sentAny || int32(ts-v.lastTS) > 0 {
		v.lastTS, v.sentAny = ts, true
	}
}

// Stats returns counters since the sender started.
func (v *VideoSender) Stats() VideoSenderStats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// Close unsubscribes from the idle stream, stops the speaking encoder and waits for it.
func (v *VideoSender) Close() {
	v.mu.Lock()
	if !v.closed {
		v.closed = true
		v.stopSpeakerLocked()
	}
	v.mu.Unlock()
	if v.cfg.Idle != nil {
		v.cfg.Idle.unsubscribe(v)
	}
	v.wg.Wait()
}

func (v *VideoSender) stopSpeakerLocked() {
	if v.speaker != nil {
		close(v.speaker.stop)
		v.speaker = nil
	}
	v.mode = modeIdle
	v.needKey = true
}

// idleFrame is called by the idle stream's goroutine for every frame of the loop.
func (v *VideoSender) idleFrame(f *videoFrame, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	switch v.mode {
	case modeSpeaking:
		return
	case modeToIdle:
		if !f.key {
			return
		}
		v.stopSpeakerLocked()
		v.stats.Switches++
	}
	if v.needKey {
		if !f.key {
			return
		}
		v.needKey = false
	}
	v.writeLocked(f.payloads, f.key, now)
	v.stats.IdleFrames++
}

// speakingFrame writes a frame from sp; it reports false when sp is no longer the source.
func (v *VideoSender) speakingFrame(sp *speaker, payloads [][]byte, key bool, now time.Time,
	cost time.Duration) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stats.EncodeTime += cost
	if v.speaker != sp || v.closed {
		return false
	}
	if !sp.switched {
		if !key {
			return true // wait for the encoder's first keyframe (normally its first frame)
		}
		sp.switched = true
		v.stats.Switches++
	}
	v.writeLocked(payloads, key, now)
	v.stats.SpeakingFrames++
	return true
}

// writeLocked sends one frame's payloads as consecutive RTP packets with one timestamp and
// the marker bit on the last packet (RFC 7741 §4.1).
func (v *VideoSender) writeLocked(payloads [][]byte, key bool, now time.Time) {
	ts := v.clock.at(now)
	if v.sentAny && int32(ts-v.lastTS) <= 0 {
		ts = v.lastTS + 1
	}
	v.lastTS, v.sentAny = ts, true
	for i, p := range payloads {
		v.pkt.Header = rtp.Header{
			Version:        2,
			Marker:         i == len(payloads)-1,
			SequenceNumber: v.seq,
			Timestamp:      ts,
		}
		v.pkt.Payload = p
		v.seq++
		if err := v.track.WriteRTP(&v.pkt); err != nil {
			v.log.Debug("video rtp write failed", "err", err)
		}
		v.stats.Packets++
	}
	if key {
		v.stats.Keyframes++
	}
}

// speaker is one run of a call's own encoder, from Speak until the switch back to idle.
type speaker struct {
	v        *VideoSender
	src      atomic.Pointer[FrameSource]
	restart  atomic.Bool
	forceKey atomic.Bool
	stop     chan struct{}
	switched bool // guarded by v.mu
}

func newSpeaker(v *VideoSender, src FrameSource) *speaker {
	sp := &speaker{v: v, stop: make(chan struct{})}
	sp.src.Store(&src)
	return sp
}

func (sp *speaker) setSource(src FrameSource) {
	sp.src.Store(&src)
	sp.restart.Store(true)
}

func (sp *speaker) run() {
	v := sp.v
	defer v.wg.Done()
	enc, err := vpx.NewEncoder(v.cfg.Video.encoderConfig(0))
	if err != nil {
		v.log.Warn("speaking encoder failed to start", "err", err)
		v.mu.Lock()
		v.stats.EncodeErrors++
		if v.speaker == sp {
			v.stopSpeakerLocked()
		}
		v.mu.Unlock()
		return
	}
	defer enc.Close()
	img := enc.NewFrame()
	var bufs [][]byte
	fd := v.cfg.Video.frameDur()
	t := time.NewTicker(fd)
	defer t.Stop()
	start := time.Now()
	for {
		if sp.restart.Swap(false) {
			start = time.Now()
		}
		began := time.Now()
		(*sp.src.Load())(img, began.Sub(start))
		if sp.forceKey.Swap(false) {
			enc.ForceKeyframe()
		}
		f, err := enc.Encode(img)
		cost := time.Since(began)
		if err != nil {
			v.mu.Lock()
			v.stats.EncodeErrors++
			v.mu.Unlock()
		} else if len(f.Data) > 0 {
			bufs = vp8Packets(bufs[:0], f.Data)
			if !v.speakingFrame(sp, bufs, f.Keyframe, time.Now(), cost) {
				return
			}
		}
		select {
		case <-sp.stop:
			return
		case <-t.C:
		}
	}
}
