package stt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fayun/dialog/audio"
)

// whisperServer speaks the /v1/audio/transcriptions wire format: a multipart form
// with file, model, language and response_format; verbose JSON back.
type whisperServer struct {
	calls   atomic.Int32
	failN   int32 // fail the first failN calls with failCode
	fail    int
	delay   time.Duration
	lastReq atomic.Value  // map[string]string of form fields
	waiting chan struct{} // if set, closed when a delayed request starts waiting
}

func (s *whisperServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	if r.URL.Path != "/v1/audio/transcriptions" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.delay > 0 { // the body is read, so a client hanging up cancels r.Context()
		if s.waiting != nil && n == 1 {
			close(s.waiting)
		}
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	if n <= s.failN {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.fail)
		io.WriteString(w, `{"error":{"message":"overloaded","type":"server_error","code":null}}`)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(f)
	pcm, err := audio.ReadWAV(bytes.NewReader(body), time.Minute)
	if err != nil || pcm.Rate != 16000 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"bad audio","type":"invalid_request_error"}}`)
		return
	}
	s.lastReq.Store(map[string]string{
		"model": r.FormValue("model"), "language": r.FormValue("language"),
		"response_format": r.FormValue("response_format"), "filename": hdr.Filename,
		"auth": r.Header.Get("Authorization"),
	})
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"task": "transcribe", "language": "chinese", "duration": pcm.Duration().Seconds(),
		"text": " 试用期最长多久？",
		"segments": []map[string]any{
			{"id": 0, "start": 0, "end": 1.2, "text": " 试用期最长多久？", "avg_logprob": -0.2},
		},
	})
}

func newTestOpenAI(t *testing.T, s *whisperServer, cfg OpenAIConfig) *OpenAI {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1"
	o, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

var tone = audio.PCM{Rate: 48000, Samples: make([]int16, 48000)}

func TestOpenAITranscribes(t *testing.T) {
	s := &whisperServer{}
	o := newTestOpenAI(t, s, OpenAIConfig{APIKey: "k-test", Model: "whisper-large-v3"})
	r, err := o.Recognize(context.Background(), tone, "zh")
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "试用期最长多久？" || r.Lang != "zh" || r.Confidence < 0.8 || r.Confidence > 0.83 {
		t.Errorf("result %+v", r)
	}
	req := s.lastReq.Load().(map[string]string)
	want := map[string]string{"model": "whisper-large-v3", "language": "zh",
		"response_format": "verbose_json", "filename": "utterance.wav", "auth": "Bearer k-test"}
	for k, v := range want {
		if req[k] != v {
			t.Errorf("%s = %q, want %q", k, req[k], v)
		}
	}
}

func TestOpenAIRetriesServerErrors(t *testing.T) {
	s := &whisperServer{failN: 2, fail: http.StatusServiceUnavailable}
	o := newTestOpenAI(t, s, OpenAIConfig{Retries: 2})
	if _, err := o.Recognize(context.Background(), tone, "en"); err != nil {
		t.Fatal(err)
	}
	if got := s.calls.Load(); got != 3 {
		t.Errorf("%d calls, want 3", got)
	}
}

func TestOpenAIGivesUpAfterRetries(t *testing.T) {
	s := &whisperServer{failN: 10, fail: http.StatusInternalServerError}
	o := newTestOpenAI(t, s, OpenAIConfig{Retries: 1})
	_, err := o.Recognize(context.Background(), tone, "en")
	if err == nil || !strings.Contains(err.Error(), "overloaded") {
		t.Errorf("err %v, want the server's message", err)
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("%d calls, want 2", got)
	}
}

func TestOpenAIDoesNotRetryClientErrors(t *testing.T) {
	s := &whisperServer{failN: 10, fail: http.StatusUnauthorized}
	o := newTestOpenAI(t, s, OpenAIConfig{Retries: 3})
	if _, err := o.Recognize(context.Background(), tone, "en"); err == nil {
		t.Fatal("no error")
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("%d calls, want 1", got)
	}
}

func TestOpenAITimeout(t *testing.T) {
	s := &whisperServer{delay: 5 * time.Second}
	o := newTestOpenAI(t, s, OpenAIConfig{Timeout: 100 * time.Millisecond, Retries: 1})
	_, err := o.Recognize(context.Background(), tone, "en")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want a deadline error", err)
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("%d calls, want 2 (timeouts are retried)", got)
	}
}

func TestOpenAICancel(t *testing.T) {
	s := &whisperServer{delay: 5 * time.Second, waiting: make(chan struct{})}
	o := newTestOpenAI(t, s, OpenAIConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.waiting; cancel() }()
	if _, err := o.Recognize(ctx, tone, "en"); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("%d calls after cancel, want 1", got)
	}
}

func TestOpenAIBadInput(t *testing.T) {
	o := newTestOpenAI(t, &whisperServer{}, OpenAIConfig{})
	if _, err := o.Recognize(context.Background(), audio.PCM{Rate: 16000}, ""); !errors.Is(err, audio.ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := NewOpenAI(OpenAIConfig{}); err == nil {
		t.Error("no base URL: no error")
	}
}
