package calls

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// wavRecorder streams the caller's 16 kHz audio into a WAV file, written to a temporary
// name and renamed when the call ends so a half-written file is never mistaken for a
// finished one.
type wavRecorder struct {
	mu   sync.Mutex
	f    *os.File
	enc  *wav.Encoder
	buf  *audio.IntBuffer
	path string
}

func newWAVRecorder(dir, callID string) (*wavRecorder, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("calls: recording dir: %w", err)
	}
	path := filepath.Join(dir, callID+".wav")
	f, err := os.Create(path + ".part")
	if err != nil {
		return nil, fmt.Errorf("calls: create recording: %w", err)
	}
	return &wavRecorder{f: f, path: path, enc: wav.NewEncoder(f, 16000, 16, 1, 1),
		buf: &audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: 16000},
			SourceBitDepth: 16}}, nil
}

func (r *wavRecorder) write(s []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.enc == nil {
		return
	}
	if cap(r.buf.Data) < len(s) {
		r.buf.Data = make([]int, len(s))
	}
	r.buf.Data = r.buf.Data[:len(s)]
	for i, v := range s {
		r.buf.Data[i] = int(v)
	}
	_ = r.enc.Write(r.buf)
}

func (r *wavRecorder) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.enc == nil {
		return
	}
	err := r.enc.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.enc = nil
	if err == nil {
		_ = os.Rename(r.path+".part", r.path)
	}
}
