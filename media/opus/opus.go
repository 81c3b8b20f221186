// Package opus wraps libopus (through cgo) for the call's audio: a mono 48 kHz encoder for the
// avatar's voice and a decoder for the caller's microphone, with a helper that turns decoded
// audio into the 16 kHz frames speech recognition wants. It knows nothing of RTP.
package opus

/*
#cgo pkg-config: opus
#include <opus.h>

static int fy_enc_set_int(OpusEncoder *e, int req, int v) {
	switch (req) {
	case 0: return opus_encoder_ctl(e, OPUS_SET_BITRATE(v));
	case 1: return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v));
	case 2: return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v));
	case 3: return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v));
	case 4: return opus_encoder_ctl(e, OPUS_SET_DTX(v));
	case 5: return opus_encoder_ctl(e, OPUS_SET_SIGNAL(v));
	}
	return OPUS_BAD_ARG;
}

static int fy_enc_reset(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_RESET_STATE); }
static int fy_dec_reset(OpusDecoder *d) { return opus_decoder_ctl(d, OPUS_RESET_STATE); }
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// SampleRate is the rate, in Hz, at which this package encodes and decodes.
const SampleRate = 48000

// FrameSamples is the number of samples in one 20 ms frame at 48 kHz mono.
const FrameSamples = SampleRate / 50

// MaxPacketBytes is a safe size for an encoder output buffer (RFC 6716 §3.4 bounds a frame
// at 1275 bytes).
const MaxPacketBytes = 1500

// ErrClosed is returned by methods of an encoder or decoder after Close.
var ErrClosed = errors.New("opus: closed")

// Application selects libopus's tuning (OPUS_APPLICATION_*).
type Application int

const (
	// AppVoIP favours speech intelligibility; the default.
	AppVoIP Application = C.OPUS_APPLICATION_VOIP
	// AppAudio favours faithfulness for music and mixed content.
	AppAudio Application = C.OPUS_APPLICATION_AUDIO
	// AppLowDelay disables the speech-optimised modes for the lowest algorithmic delay.
	AppLowDelay Application = C.OPUS_APPLICATION_RESTRICTED_LOWDELAY
)

// EncoderConfig configures an Encoder. Zero values select the defaults given per field.
type EncoderConfig struct {
	// Application is the libopus application mode. Default AppVoIP.
	Application Application
	// Bitrate in bits per second. Default 32000; 0 keeps the default.
	Bitrate int
	// Complexity 0..10 trades CPU for quality. Default 5 (about half the cost of 10).
	// A negative value is an error.
	Complexity int
	// FEC turns on in-band forward error correction (RFC 6716 §2.1.7). Default off.
	FEC bool
	// PacketLossPercent tells the encoder how much loss to expect (0..100); it matters
	// only with FEC. Default 0.
	PacketLossPercent int
}

func errorString(code C.int) string { return C.GoString(C.opus_strerror(code)) }

// Encoder encodes 48 kHz mono 16-bit PCM to Opus packets. It is not safe for concurrent use.
type Encoder struct {
	enc     *C.OpusEncoder
	cleanup runtime.Cleanup
}

// NewEncoder returns an encoder for 48 kHz mono audio configured by cfg.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if cfg.Application == 0 {
		cfg.Application = AppVoIP
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = 32000
	}
	if cfg.Complexity == 0 {
		cfg.Complexity = 5
	}
	if cfg.Complexity < 0 || cfg.Complexity > 10 {
		return nil, fmt.Errorf("opus new encoder: complexity %d out of 0..10", cfg.Complexity)
	}
	var code C.int
	enc := C.opus_encoder_create(SampleRate, 1, C.int(cfg.Application), &code)
	if code != C.OPUS_OK || enc == nil {
		return nil, fmt.Errorf("opus new encoder: %s", errorString(code))
	}
	e := &Encoder{enc: enc}
	e.cleanup = runtime.AddCleanup(e, func(p *C.OpusEncoder) { C.opus_encoder_destroy(p) }, enc)

	fec := 0
	if cfg.FEC {
		fec = 1
	}
	settings := []struct {
		req, v int
		name   string
	}{
		{0, cfg.Bitrate, "bitrate"},
		{1, cfg.Complexity, "complexity"},
		{2, fec, "fec"},
		{3, cfg.PacketLossPercent, "packet loss"},
		{5, int(C.OPUS_SIGNAL_VOICE), "signal"},
	}
	for _, s := range settings {
		if rc := C.fy_enc_set_int(enc, C.int(s.req), C.int(s.v)); rc != C.OPUS_OK {
			e.Close()
			return nil, fmt.Errorf("opus new encoder: set %s %d: %s", s.name, s.v, errorString(rc))
		}
	}
	return e, nil
}

// SetBitrate changes the target bitrate in bits per second.
func (e *Encoder) SetBitrate(bps int) error {
	if e.enc == nil {
		return ErrClosed
	}
	if rc := C.fy_enc_set_int(e.enc, 0, C.int(bps)); rc != C.OPUS_OK {
		return fmt.Errorf("opus set bitrate %d: %s", bps, errorString(rc))
	}
	return nil
}

// Reset clears the encoder's history, as at the start of a new stream.
func (e *Encoder) Reset() error {
	if e.enc == nil {
		return ErrClosed
	}
	if rc := C.fy_enc_reset(e.enc); rc != C.OPUS_OK {
		return fmt.Errorf("opus reset encoder: %s", errorString(rc))
	}
	return nil
}

// Encode encodes one frame of pcm (2.5, 5, 10, 20, 40 or 60 ms at 48 kHz; use FrameSamples
// for 20 ms) into out and returns the packet length. out should hold MaxPacketBytes.
func (e *Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if e.enc == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(out) == 0 {
		return 0, errors.New("opus encode: empty input or output buffer")
	}
	n := C.opus_encode(e.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
	if n < 0 {
		return 0, fmt.Errorf("opus encode %d samples: %s", len(pcm), errorString(n))
	}
	return int(n), nil
}

// Close frees the encoder. It is safe to call more than once.
func (e *Encoder) Close() {
	if e.enc == nil {
		return
	}
	e.cleanup.Stop()
	C.opus_encoder_destroy(e.enc)
	e.enc = nil
}

// Decoder decodes Opus packets to 48 kHz mono 16-bit PCM. It is not safe for concurrent use.
type Decoder struct {
	dec     *C.OpusDecoder
	cleanup runtime.Cleanup
}

// NewDecoder returns a decoder producing 48 kHz mono audio.
func NewDecoder() (*Decoder, error) {
	var code C.int
	dec := C.opus_decoder_create(SampleRate, 1, &code)
	if code != C.OPUS_OK || dec == nil {
		return nil, fmt.Errorf("opus new decoder: %s", errorString(code))
	}
	d := &Decoder{dec: dec}
	d.cleanup = runtime.AddCleanup(d, func(p *C.OpusDecoder) { C.opus_decoder_destroy(p) }, dec)
	return d, nil
}

// Decode decodes packet into pcm and returns the number of samples written. pcm must hold
// the packet's duration (5760 samples, 120 ms, always suffices). A stereo packet is mixed
// down to mono by libopus.
func (d *Decoder) Decode(packet []byte, pcm []int16) (int, error) {
	if d.dec == nil {
		return 0, ErrClosed
	}
	if len(packet) == 0 || len(pcm) == 0 {
		return 0, errors.New("opus decode: empty packet or output buffer")
	}
	n := C.opus_decode(d.dec, (*C.uchar)(unsafe.Pointer(&packet[0])), C.opus_int32(len(packet)),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)), 0)
	if n < 0 {
		return 0, fmt.Errorf("opus decode %d bytes: %s", len(packet), errorString(n))
	}
	return int(n), nil
}

// Conceal fills pcm with packet-loss concealment for one lost packet of len(pcm) samples
// (a multiple of 2.5 ms) and returns the number of samples written.
func (d *Decoder) Conceal(pcm []int16) (int, error) {
	if d.dec == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 {
		return 0, errors.New("opus conceal: empty output buffer")
	}
	n := C.opus_decode(d.dec, nil, 0, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)), 0)
	if n < 0 {
		return 0, fmt.Errorf("opus conceal %d samples: %s", len(pcm), errorString(n))
	}
	return int(n), nil
}

// PacketSamples returns the number of 48 kHz samples packet decodes to.
func PacketSamples(packet []byte) (int, error) {
	if len(packet) == 0 {
		return 0, errors.New("opus packet samples: empty packet")
	}
	n := C.opus_packet_get_nb_samples((*C.uchar)(unsafe.Pointer(&packet[0])),
		C.opus_int32(len(packet)), SampleRate)
	if n < 0 {
		return 0, fmt.Errorf("opus packet samples: %s", errorString(n))
	}
	return int(n), nil
}

// Reset clears the decoder's history.
func (d *Decoder) Reset() error {
	if d.dec == nil {
		return ErrClosed
	}
	if rc := C.fy_dec_reset(d.dec); rc != C.OPUS_OK {
		return fmt.Errorf("opus reset decoder: %s", errorString(rc))
	}
	return nil
}

// Close frees the decoder. It is safe to call more than once.
func (d *Decoder) Close() {
	if d.dec == nil {
		return
	}
	d.cleanup.Stop()
	C.opus_decoder_destroy(d.dec)
	d.dec = nil
}
