package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"fayun/media/opus"
)

// FrameSamples48k is the length of one 20 ms frame of the avatar's 48 kHz mono audio.
const FrameSamples48k = opus.FrameSamples

const audioFrameDur = 20 * time.Millisecond

// ErrClosed is returned by methods of a closed sender or receiver.
var ErrClosed = errors.New("media: closed")

// ErrFlushed is returned by AudioSender.Enqueue when Flush discarded the audio it was
// queueing.
var ErrFlushed = errors.New("media: audio flushed")

// NewAudioTrack returns an Opus track for the avatar's voice, to be added to a peer
// connection and handed to NewAudioSender.
func NewAudioTrack(streamID string) (*webrtc.TrackLocalStaticRTP, error) {
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	}, "audio", streamID)
	if err != nil {
		return nil, fmt.Errorf("media new audio track: %w", err)
	}
	return tr, nil
}

// AudioSenderConfig configures an AudioSender. Zero values select the defaults given per
// field.
type AudioSenderConfig struct {
	// Opus configures the encoder (default VoIP, 32 kbps, complexity 5).
	Opus opus.EncoderConfig
	// QueueFrames bounds the queue of 20 ms frames waiting to be sent. Enqueue blocks when it
	// is full. Default 250 (5 s).
	QueueFrames int
	// Hangover is how many empty 20 ms ticks end a talkspurt. Default 3 (60 ms).
	Hangover int
	// OnTalkStart, if set, runs when the first packet of a talkspurt has been written, with
	// the time of that write: the "first avatar audio packet" of a turn. It runs on the
	// sender's goroutine and must return quickly.
	OnTalkStart func(at time.Time)
	// OnTalkStop, if set, runs when a talkspurt ends because the queue stayed empty for
	// Hangover ticks. Same rules as OnTalkStart.
	OnTalkStop func(at time.Time)
	// Logger receives warnings; default slog.Default().
	Logger *slog.Logger
}

type pcmFrame struct {
	pcm   [FrameSamples48k]int16
	start uint64 // index of pcm[0] in the sender's sample stream
	gen   uint64 // flush generation the frame belongs to
}

// AudioSenderStats counts what an AudioSender did.
type AudioSenderStats struct {
	FramesSent    uint64 // packets written
	FramesFlushed uint64 // frames discarded by Flush
	Talkspurts    uint64 // talkspurts started
	EncodeErrors  uint64
}

// AudioSender sends the avatar's voice: 48 kHz mono PCM goes into a bounded queue in 20 ms
// frames and a paced goroutine encodes each frame with Opus and writes one RTP packet per
// 20 ms. When the queue is empty nothing is sent (no comfort noise): the RTP timestamp keeps
// following the wall clock, so the next talkspurt starts with a timestamp jump and the marker
// bit set (RFC 3551 §4.1), which receivers handle like Opus DTX. Enqueue, Flush and the
// position methods are safe for concurrent use.
type AudioSender struct {
	track *webrtc.TrackLocalStaticRTP
	cfg   AudioSenderConfig
	log   *slog.Logger
	enc   *opus.Encoder

	queue chan *pcmFrame
	pool  sync.Pool

	mu       sync.Mutex // producers: the partial frame
	partial  *pcmFrame
	partialN int

	written atomic.Uint64 // samples accepted by Enqueue
	played  atomic.Uint64 // samples sent or discarded
	gen     atomic.Uint64

	sent, flushed, spurts, encErrs atomic.Uint64

	// nextSeq is the sequence number of the next packet, mirrored for Position; resume, when
	// not negative, is the one Continue set for the run goroutine to take.
	nextSeq, resume atomic.Int32

	// Owned by the run goroutine.
	seq    uint16
	clock  rtpClock
	pkt    rtp.Packet
	encBuf []byte

	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

// NewAudioSender starts a sender writing to track. Close stops it.
func NewAudioSender(track *webrtc.TrackLocalStaticRTP, cfg AudioSenderConfig) (
	*AudioSender, error,
) {
	if cfg.QueueFrames <= 0 {
		cfg.QueueFrames = 250
	}
	if cfg.Hangover <= 0 {
		cfg.Hangover = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	enc, err := opus.NewEncoder(cfg.Opus)
	if err != nil {
		return nil, fmt.Errorf("media new audio sender: %w", err)
	}
	s := &AudioSender{
		track:  track,
		cfg:    cfg,
		log:    cfg.Logger,
		enc:    enc,
		queue:  make(chan *pcmFrame, cfg.QueueFrames),
		seq:    uint16(rand.Uint32()),
		clock:  newRTPClock(48000, rand.Uint32()),
		encBuf: make([]byte, opus.MaxPacketBytes),
		done:   make(chan struct{}),
	}
	s.nextSeq.Store(int32(s.seq))
	s.resume.Store(-1)
	s.pool.New = func() any { return new(pcmFrame) }
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// Enqueue appends pcm (48 kHz mono) to the outgoing audio and returns the index, in samples
// since the sender started, of pcm[0]; compare it with PlayedSamples to know which sample is
// on the wire (for lip-sync). Whole 20 ms frames are queued at once; a remainder waits for the
// next Enqueue or for Finish. Enqueue blocks while the queue is full, until ctx is done
// (returning its error) or Flush runs (returning ErrFlushed).
func (s *AudioSender) Enqueue(ctx context.Context, pcm []int16) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gen := s.gen.Load()
	if s.partial != nil && s.partial.gen != gen {
		s.recycle(s.partial)
		s.partial, s.partialN = nil, 0
	}
	start := s.written.Load()
	for len(pcm) > 0 {
		if s.partial == nil {
			s.partial = s.pool.Get().(*pcmFrame)
			s.partial.start = s.written.Load()
			s.partial.gen = gen
			s.partialN = 0
		}
		n := copy(s.partial.pcm[s.partialN:], pcm)
		s.partialN += n
		pcm = pcm[n:]
		s.written.Add(uint64(n))
		if s.partialN < FrameSamples48k {
			break
		}
		if err := s.push(ctx, s.partial, gen); err != nil {
			s.partial = nil
			return start, err
		}
		s.partial = nil
	}
	return start, nil
}

// Finish pads the remainder of the last Enqueue with silence to a whole frame and queues it,
// so that the end of an utterance is sent.
func (s *AudioSender) Finish(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gen := s.gen.Load()
	if s.partial == nil {
		return nil
	}
	f := s.partial
	s.partial = nil
	if f.gen != gen {
		s.recycle(f)
		return nil
	}
	clear(f.pcm[s.partialN:])
	s.written.Add(uint64(FrameSamples48k - s.partialN))
	return s.push(ctx, f, gen)
}

func (s *AudioSender) push(ctx context.Context, f *pcmFrame, gen uint64) error {
	select {
	case s.queue <- f:
	default:
		// Full: wait, but wake up for cancellation, Flush or Close.
		t := time.NewTicker(audioFrameDur)
		defer t.Stop()
		for {
			select {
			case s.queue <- f:
			case <-ctx.Done():
				s.recycle(f)
				return ctx.Err()
			case <-s.done:
				s.recycle(f)
				return ErrClosed
			case <-t.C:
				if s.gen.Load() != gen {
					s.recycle(f)
					return ErrFlushed
				}
				continue
			}
			break
		}
	}
	if s.gen.Load() != gen {
		return ErrFlushed // the run loop discards the stale frame
	}
	return nil
}

// Flush discards all queued audio at once (barge-in) and returns how many 20 ms frames it
// dropped. At most the frame being encoded at that instant still goes out. Cancel the
// producer's context before calling Flush so that it queues nothing more.
func (s *AudioSender) Flush() int {
	s.gen.Add(1)
	n := 0
	for {
		select {
		case f := <-s.queue:
			s.recycle(f)
			n++
		default:
			s.flushed.Add(uint64(n))
			s.played.Store(s.written.Load())
			return n
		}
	}
}

// PlayedSamples returns the index of the next sample to be sent (samples sent or flushed so
// far).
func (s *AudioSender) PlayedSamples() uint64 { return s.played.Load() }

// QueuedFrames returns the number of 20 ms frames waiting to be sent.
func (s *AudioSender) QueuedFrames() int { return len(s.queue) }

// Position returns the sequence number the sender's next packet would carry and the RTP
// timestamp of instant now on its stream, for another source put on the same RTP sender to
// continue the stream (see VideoSender.Position). The timestamps follow the wall clock.
func (s *AudioSender) Position(now time.Time) (seq uint16, ts uint32) {
	return uint16(s.nextSeq.Load()), s.clock.at(now)
}

// Continue makes the sender's next packet carry sequence number seq, after another
// source's packets; it starts a talkspurt (marker bit), since the timestamps jump to now.
func (s *AudioSender) Continue(seq uint16) {
	s.resume.Store(int32(seq))
	s.nextSeq.Store(int32(seq))
}

// Stats returns counters since the sender started.
func (s *AudioSender) Stats() AudioSenderStats {
	return AudioSenderStats{
		FramesSent: s.sent.Load(), FramesFlushed: s.flushed.Load(),
		Talkspurts: s.spurts.Load(), EncodeErrors: s.encErrs.Load(),
	}
}

// Close stops the sender and frees its encoder. Queued audio is dropped.
func (s *AudioSender) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.wg.Wait()
		s.enc.Close()
	})
}

func (s *AudioSender) recycle(f *pcmFrame) { s.pool.Put(f) }

// next returns a queued frame of the current generation without blocking, or nil.
func (s *AudioSender) next() *pcmFrame {
	for {
		select {
		case f := <-s.queue:
			if f.gen == s.gen.Load() {
				return f
			}
			s.recycle(f)
			s.flushed.Add(1)
		default:
			return nil
		}
	}
}

func (s *AudioSender) run() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var f *pcmFrame
		select {
		case f = <-s.queue:
		case <-s.done:
			return
		}
		if f.gen != s.gen.Load() {
			s.recycle(f)
			continue
		}
		if !s.talkspurt(f, timer) {
			return
		}
	}
}

// talkspurt sends f and then one frame every 20 ms, on a schedule anchored at the first
// packet so that late wake-ups catch up instead of drifting, until the queue stays empty for
// Hangover ticks. It returns false when the sender is closing.
func (s *AudioSender) talkspurt(f *pcmFrame, timer *time.Timer) bool {
	slot := time.Now()
	first, empty := true, 0
	for {
		if f != nil {
			s.send(f, slot, first)
			if first {
				s.spurts.Add(1)
				if s.cfg.OnTalkStart != nil {
					s.cfg.OnTalkStart(time.Now())
				}
			}
			first, empty = false, 0
		} else if empty++; empty >= s.cfg.Hangover {
			if s.cfg.OnTalkStop != nil {
				s.cfg.OnTalkStop(time.Now())
			}
			return true
		}
		slot = slot.Add(audioFrameDur)
		timer.Reset(time.Until(slot))
		select {
		case <-timer.C:
		case <-s.done:
			timer.Stop()
			return false
		}
		f = s.next()
	}
}

// send encodes f and writes it as one RTP packet: RFC 7587 §4.2 puts exactly one Opus
// packet in the payload; the timestamp advances by 960 per 20 ms at the 48 kHz clock (RFC
// 7587 §4.1), and the marker bit flags the first packet of a talkspurt (RFC 3551 §4.1).
func (s *AudioSender) send(f *pcmFrame, slot time.Time, marker bool) {
	defer s.recycle(f)
	s.played.Store(f.start + FrameSamples48k)
	n, err := s.enc.Encode(f.pcm[:], s.encBuf)
	if err != nil {
		if s.encErrs.Add(1) == 1 {
			s.log.Warn("opus encode failed", "err", err)
		}
		return
	}
	if r := s.resume.Swap(-1); r >= 0 {
		s.seq, marker = uint16(r), true
	}
	s.pkt.Header = rtp.Header{
		Version:        2,
		Marker:         marker,
		SequenceNumber: s.seq,
		Timestamp:      s.clock.at(slot),
	}
	s.pkt.Payload = s.encBuf[:n]
	s.seq++
	s.nextSeq.Store(int32(s.seq))
	if err := s.track.WriteRTP(&s.pkt); err != nil {
		s.log.Debug("audio rtp write failed", "err", err)
		return
	}
	s.sent.Add(1)
}
