package media

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"fayun/media/opus"
)

// FrameSamples16k is the length of one 20 ms frame of caller audio at 16 kHz.
const FrameSamples16k = opus.RecognitionFrameSamples

// CallerFrame is 20 ms of the caller's audio, mono 16 kHz, ready for voice activity
// detection and recognition. It is passed by value so that no buffer is shared.
type CallerFrame struct {
	Samples [FrameSamples16k]int16
	// Concealed is true when the frame was made up by the decoder (packet loss) or is
	// silence filling a gap in the stream (the browser's DTX, a muted microphone).
	Concealed bool
}

// AudioReceiverConfig configures ReceiveAudio. Zero values select the defaults given per
// field.
type AudioReceiverConfig struct {
	// Buffer is the capacity of the Frames channel in 20 ms frames; when the consumer falls
	// behind, frames are dropped and counted. Default 50 (1 s).
	Buffer int
	// MaxGap bounds how much audio is synthesised to fill a gap in the RTP timestamps (lost
	// packets are concealed, DTX pauses become silence). Longer gaps are filled only up to
	// this much. Default 1 s.
	MaxGap time.Duration
	// Logger receives warnings; default slog.Default().
	Logger *slog.Logger
}

// AudioReceiverStats counts what an AudioReceiver did.
type AudioReceiverStats struct {
	Packets      uint64 // RTP packets decoded
	Frames       uint64 // frames delivered
	Dropped      uint64 // frames dropped because the consumer was behind
	Concealed    uint64 // frames synthesised for loss or gaps
	Late         uint64 // packets discarded as duplicate or too late
	DecodeErrors uint64
}

// AudioReceiver decodes the caller's Opus track into 16 kHz frames.
type AudioReceiver struct {
	track  *webrtc.TrackRemote
	cfg    AudioReceiverConfig
	log    *slog.Logger
	frames chan CallerFrame

	packets, delivered, dropped, concealed, late, decErrs atomic.Uint64

	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

// ReceiveAudio starts reading track (the caller's Opus audio) on its own goroutine and
// returns at once. Frames arrive on Frames(), which is closed when the track ends (the peer
// connection closed or the remote stopped sending) or Close is called.
func ReceiveAudio(track *webrtc.TrackRemote, cfg AudioReceiverConfig) (*AudioReceiver, error) {
	if track.Codec().MimeType != webrtc.MimeTypeOpus {
		return nil, fmt.Errorf("media receive audio: codec %s, want opus", track.Codec().MimeType)
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 50
	}
	if cfg.MaxGap <= 0 {
		cfg.MaxGap = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	dec, err := opus.NewDecoder16k()
	if err != nil {
		return nil, fmt.Errorf("media receive audio: %w", err)
	}
	r := &AudioReceiver{
		track:  track,
		cfg:    cfg,
		log:    cfg.Logger,
		frames: make(chan CallerFrame, cfg.Buffer),
		done:   make(chan struct{}),
	}
	r.wg.Add(1)
	go r.run(dec)
	return r, nil
}

// Frames returns the channel of decoded 20 ms frames.
func (r *AudioReceiver) Frames() <-chan CallerFrame { return r.frames }

// Stats returns counters since the receiver started.
func (r *AudioReceiver) Stats() AudioReceiverStats {
	return AudioReceiverStats{
		Packets: r.packets.Load(), Frames: r.delivered.Load(), Dropped: r.dropped.Load(),
		Concealed: r.concealed.Load(), Late: r.late.Load(), DecodeErrors: r.decErrs.Load(),
	}
}

// Close stops reading and waits for the goroutine to end. Closing the peer connection has
// the same effect.
func (r *AudioReceiver) Close() {
	r.closeOnce.Do(func() {
		close(r.done)
		_ = r.track.SetReadDeadline(time.Now())
	})
	r.wg.Wait()
}

func (r *AudioReceiver) run(dec *opus.Decoder16k) {
	defer r.wg.Done()
	defer close(r.frames)
	defer dec.Close()

	var (
		pcm       = make([]int16, 0, 4*FrameSamples16k)
		started   bool
		nextSeq   uint16
		nextTS    uint32 // timestamp expected for the next packet
		concealed int    // samples at the head of pcm that were synthesised
	)
	maxGap := uint32(r.cfg.MaxGap.Seconds() * 48000)
	for {
		pkt, _, err := r.track.ReadRTP()
		if err != nil {
			return
		}
		select {
		case <-r.done:
			return
		default:
		}
		if len(pkt.Payload) == 0 {
			continue
		}
		// RFC 3550 §A.1: sequence numbers order packets; anything at or before the last one
		// delivered is a duplicate or arrived too late to use.
		if started && int16(pkt.SequenceNumber-nextSeq) < 0 {
			r.late.Add(1)
			continue
		}
		samples, err := opus.PacketSamples(pkt.Payload)
		if err != nil {
			r.countDecodeError(err)
			continue
		}
		if started {
			// RFC 7587 §4.1: the timestamp counts 48 kHz samples, so a jump larger than the
			// audio received is lost packets (sequence gap) or a DTX pause (no sequence gap).
			gap := pkt.Timestamp - nextTS
			if int32(gap) > 0 {
				lost := pkt.SequenceNumber != nextSeq
				before := len(pcm)
				pcm = r.fillGap(dec, pcm, min(gap, maxGap), lost)
				concealed += len(pcm) - before
			}
		}
		started = true
		nextSeq = pkt.SequenceNumber + 1
		nextTS = pkt.Timestamp + uint32(samples)
		if pcm, err = dec.Decode(pkt.Payload, pcm); err != nil {
			r.countDecodeError(err)
			continue
		}
		r.packets.Add(1)
		pcm, concealed = r.deliver(pcm, concealed)
	}
}

var silence [FrameSamples16k]int16

// fillGap appends gap 48 kHz samples' worth of 16 kHz audio: decoder concealment for lost
// packets (up to 120 ms at a time, as libopus allows), silence for a pause.
func (r *AudioReceiver) fillGap(dec *opus.Decoder16k, pcm []int16, gap uint32, lost bool) []int16 {
	for gap >= 480 { // whole 10 ms steps; the remainder is inaudible
		step := min(gap, 960)
		step -= step % 480
		var err error
		if lost {
			pcm, err = dec.Conceal(int(step), pcm)
			if err != nil {
				r.countDecodeError(err)
				return pcm
			}
		} else {
			pcm = append(pcm, silence[:step/3]...)
		}
		gap -= step
	}
	return pcm
}

// deliver sends every whole 20 ms frame in pcm to the consumer without blocking and returns
// the remainder moved to the front.
func (r *AudioReceiver) deliver(pcm []int16, concealed int) ([]int16, int) {
	off := 0
	for len(pcm)-off >= FrameSamples16k {
		var f CallerFrame
		copy(f.Samples[:], pcm[off:off+FrameSamples16k])
		if concealed > 0 {
			f.Concealed = true
			r.concealed.Add(1)
			concealed = max(0, concealed-FrameSamples16k)
		}
		off += FrameSamples16k
		select {
		case r.frames <- f:
			r.delivered.Add(1)
		default:
			r.dropped.Add(1)
		}
	}
	n := copy(pcm, pcm[off:])
	return pcm[:n], concealed
}

func (r *AudioReceiver) countDecodeError(err error) {
	if r.decErrs.Add(1) == 1 {
		r.log.Warn("caller audio decode failed", "err", err)
	}
}
