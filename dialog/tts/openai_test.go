package tts

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"fayun/avatars/viseme"
)

// speechServer speaks the /v1/audio/speech wire format: a JSON request, audio
// bytes back. Like OpenAI's, its WAV is streamed: both size fields are 0xFFFFFFFF.
type speechServer struct {
	calls atomic.Int32
	failN int32
	fail  int
	delay time.Duration
	last  atomic.Value // the decoded request
}

type speechRequest struct {
	Model          string  `json:"model"`
	Input          string  `json:"input"`
	Voice          string  `json:"voice"`
	ResponseFormat string  `json:"response_format"`
	Speed          float64 `json:"speed"`
}

func (s *speechServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	var req speechRequest
	if r.URL.Path != "/v1/audio/speech" || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.last.Store(req)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	if n <= s.failN {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.fail)
		io.WriteString(w, `{"error":{"message":"rate limited","type":"rate_limit_error"}}`)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Write(streamedWAV(syllables(24000, 1200*time.Millisecond)))
}

// syllables is a 200 Hz buzz switched on and off four times a second, like speech.
func syllables(rate int, d time.Duration) []int16 {
	n := rate * int(d/time.Millisecond) / 1000
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / float64(rate)
		if math.Mod(t, 0.25) < 0.15 {
			out[i] = int16(12000 * math.Sin(2*math.Pi*200*t))
		}
	}
	return out
}

func streamedWAV(s []int16) []byte {
	b := make([]byte, 44, 44+2*len(s))
	copy(b, "RIFF\xff\xff\xff\xffWAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 24000)
	binary.LittleEndian.PutUint32(b[28:], 48000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data\xff\xff\xff\xff")
	for _, v := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func newTestSpeech(t *testing.T, s *speechServer, cfg OpenAIConfig) *OpenAI {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1"
	o, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOpenAISpeech(t *testing.T) {
	s := &speechServer{}
	o := newTestSpeech(t, s, OpenAIConfig{Model: "tts-1-hd"})
	v := VoiceFor(12, "male", "en")
	sp, err := o.Synthesize(context.Background(), "Pay the deposit back 😀.", v)
	if err != nil {
		t.Fatal(err)
	}
	req := s.last.Load().(speechRequest)
	if req.Model != "tts-1-hd" || req.Voice != v.OpenAIName || req.ResponseFormat != "wav" ||
		req.Input != "Pay the deposit back ." || math.Abs(req.Speed-v.Speed) > 1e-9 {
		t.Errorf("request %+v", req)
	}
	if sp.Audio.Rate != OutputRate || sp.Audio.Duration() != 1200*time.Millisecond {
		t.Errorf("audio %d Hz, %v", sp.Audio.Rate, sp.Audio.Duration())
	}
	// Four syllables: the mouth opens four times and rests in between.
	opens := 0
	for i, c := range sp.Visemes {
		if c.Shape != viseme.Rest && (i == 0 || sp.Visemes[i-1].Shape == viseme.Rest) {
			opens++
		}
	}
	if opens < 4 || opens > 5 {
		t.Errorf("%d mouth openings, want 4–5: %v", opens, sp.Visemes)
	}
}

func TestOpenAISpeechErrors(t *testing.T) {
	s := &speechServer{failN: 1, fail: http.StatusTooManyRequests}
	o := newTestSpeech(t, s, OpenAIConfig{})
	if _, err := o.Synthesize(context.Background(), "Hello.", DefaultVoice("en")); err != nil {
		t.Fatalf("429 then success: %v", err)
	}
	s = &speechServer{failN: 5, fail: http.StatusBadRequest}
	o = newTestSpeech(t, s, OpenAIConfig{})
	if _, err := o.Synthesize(context.Background(), "Hello.", DefaultVoice("en")); err == nil || s.calls.Load() != 1 {
		t.Errorf("400: err %v after %d calls", err, s.calls.Load())
	}
	s = &speechServer{delay: 5 * time.Second}
	o = newTestSpeech(t, s, OpenAIConfig{Timeout: 50 * time.Millisecond, Retries: -1})
	_, err := o.Synthesize(context.Background(), "Hello.", DefaultVoice("en"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Synthesize(ctx, "Hello.", DefaultVoice("en")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := o.Synthesize(context.Background(), "🎉", DefaultVoice("en")); !errors.Is(err, ErrNoSpeech) {
		t.Errorf("emoji: %v", err)
	}
}
