package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// ErrNotWAV is returned for input that is not a RIFF/WAVE file.
var ErrNotWAV = errors.New("audio: not a WAV file")

// ErrTooLong is returned when a file is longer than the caller allowed.
var ErrTooLong = errors.New("audio: too long")

// waveFormatPCM is the WAVE format tag of integer PCM; 0xFFFE (extensible) may carry
// it too.
const (
	waveFormatPCM        = 1
	waveFormatExtensible = 0xFFFE
)

// ReadWAV decodes an integer PCM WAV file (8, 16, 24 or 32 bits, any number of
// channels, mixed down to mono) at its own sample rate. Files longer than maxLen are
// refused with ErrTooLong before their samples are read; maxLen 0 means no limit.
//
// Files from streaming writers, whose size fields are placeholders (0 or
// 0xFFFFFFFF), are read whole into memory (at most 1 GiB) and their sizes repaired.
func ReadWAV(r io.ReadSeeker, maxLen time.Duration) (PCM, error) {
	return readWAV(r, maxLen, false)
}

const maxStreamedWAV = 1 << 30

func readWAV(r io.ReadSeeker, maxLen time.Duration, repaired bool) (PCM, error) {
	d := wav.NewDecoder(r)
	if !d.IsValidFile() {
		return PCM{}, fmt.Errorf("read wav: %w", ErrNotWAV)
	}
	if f := d.WavAudioFormat; f != waveFormatPCM && f != waveFormatExtensible {
		return PCM{}, fmt.Errorf("read wav: format tag %d is not integer PCM", f)
	}
	bits, chans, rate := int(d.BitDepth), int(d.NumChans), int(d.SampleRate)
	switch bits {
	case 8, 16, 24, 32:
	default:
		return PCM{}, fmt.Errorf("read wav: %d bits per sample is not supported", bits)
	}
	if chans < 1 || chans > 8 || rate < 4000 || rate > 384000 {
		return PCM{}, fmt.Errorf("read wav: %d channels at %d Hz is not supported", chans, rate)
	}
	if err := d.FwdToPCM(); err != nil {
		return PCM{}, fmt.Errorf("read wav: %w", err)
	}
	// Streaming writers (OpenAI's speech endpoint among them) put 0 or 0xFFFFFFFF in
	// the size fields; then only counting while reading can enforce maxLen.
	frames := int64(d.PCMSize) / int64(bits/8*chans)
	streamed := d.PCMSize <= 0 || uint32(d.PCMSize) >= 0xFFFFFF00
	if streamed && !repaired {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return PCM{}, fmt.Errorf("read wav: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(r, maxStreamedWAV))
		if err != nil {
			return PCM{}, fmt.Errorf("read wav: %w", err)
		}
		return readWAV(bytes.NewReader(repairSizes(b)), maxLen, true)
	}
	limit := int64(math.MaxInt64)
	if maxLen > 0 {
		limit = int64(SamplesFor(rate, maxLen))
	}
	if !streamed && frames > limit {
		dur := time.Duration(frames) * time.Second / time.Duration(rate)
		return PCM{}, fmt.Errorf("read wav: %v longer than %v: %w", dur.Round(time.Second), maxLen, ErrTooLong)
	}
	prealloc := min(max(frames, 0), int64(rate)*600)
	if streamed {
		prealloc = int64(rate) * 10
	}
	out := PCM{Rate: rate, Samples: make([]int16, 0, prealloc)}
	buf := &goaudio.IntBuffer{Data: make([]int, 4096*chans)}
	for {
		n, err := d.PCMBuffer(buf)
		if err != nil {
			return PCM{}, fmt.Errorf("read wav: %w", err)
		}
		if n == 0 {
			break
		}
		n -= n % chans
		for i := 0; i < n; i += chans {
			var sum int
			for c := 0; c < chans; c++ {
				sum += to16(buf.Data[i+c], bits)
			}
			out.Samples = append(out.Samples, int16(sum/chans))
		}
		if int64(len(out.Samples)) > limit {
			return PCM{}, fmt.Errorf("read wav: longer than %v: %w", maxLen, ErrTooLong)
		}
	}
	if len(out.Samples) == 0 {
		return PCM{}, fmt.Errorf("read wav: %w", ErrEmpty)
	}
	return out, nil
}

// to16 scales one decoded sample of the given width to 16 bits.
func to16(v, bits int) int {
	switch bits {
	case 8:
		return (v - 128) << 8
	case 24:
		return v >> 8
	case 32:
		return v >> 16
	}
	return v
}

// WriteWAV encodes p as a 16-bit mono PCM WAV file.
func WriteWAV(w io.WriteSeeker, p PCM) error {
	if p.Rate <= 0 {
		return fmt.Errorf("write wav: invalid rate %d", p.Rate)
	}
	e := wav.NewEncoder(w, p.Rate, 16, 1, waveFormatPCM)
	data := make([]int, len(p.Samples))
	for i, s := range p.Samples {
		data[i] = int(s)
	}
	buf := &goaudio.IntBuffer{
		Format:         &goaudio.Format{NumChannels: 1, SampleRate: p.Rate},
		Data:           data,
		SourceBitDepth: 16,
	}
	if err := e.Write(buf); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	if err := e.Close(); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}

// EncodeWAV returns p as the bytes of a 16-bit mono PCM WAV file.
func EncodeWAV(p PCM) ([]byte, error) {
	var m memFile
	if err := WriteWAV(&m, p); err != nil {
		return nil, err
	}
	return m.b, nil
}

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	pos int
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = off
	case io.SeekCurrent:
		abs = int64(m.pos) + off
	case io.SeekEnd:
		abs = int64(len(m.b)) + off
	}
	if abs < 0 {
		return 0, errors.New("memfile: negative position")
	}
	m.pos = int(abs)
	return abs, nil
}

// DecodeWAV is ReadWAV for a WAV file held in memory. It also accepts files written
// by streaming encoders (OpenAI's speech endpoint among them), whose RIFF and data
// sizes are placeholders (0 or 0xFFFFFFFF): the sizes are repaired from the actual
// length before decoding.
func DecodeWAV(b []byte, maxLen time.Duration) (PCM, error) {
	return readWAV(bytes.NewReader(repairSizes(b)), maxLen, true)
}

// repairSizes returns b with its RIFF size and data chunk size set to what the
// bytes actually hold when they claim more (or nothing). b is copied if changed.
func repairSizes(b []byte) []byte {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return b
	}
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int64(binary.LittleEndian.Uint32(b[off+4:]))
		rest := int64(len(b) - off - 8)
		if id == "data" {
			if size == 0 || size > rest {
				out := append([]byte(nil), b...)
				binary.LittleEndian.PutUint32(out[4:], uint32(len(b)-8))
				binary.LittleEndian.PutUint32(out[off+4:], uint32(rest))
				return out
			}
			return b
		}
		if size > rest {
			return b
		}
		off += 8 + int(size) + int(size&1)
	}
	return b
}
