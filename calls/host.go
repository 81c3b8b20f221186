// Package calls runs live calls: for each caller it joins a pion peer connection
// (media), the conversation engine (dialog) and the lawyer's avatar (avatars), speaks
// the signaling protocol's Session contract, and records calls, turns and ratings in
// Postgres. It is the one place where those packages meet.
package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fayun/dialog/answer"
	"fayun/dialog/stt"
	"fayun/dialog/tts"
	"fayun/dialog/vad"
	"fayun/lawyers"
	"fayun/media"
	"fayun/signaling"
)

// Directory finds the lawyer a caller asked for.
type Directory interface {
	Get(ctx context.Context, id int) (lawyers.Lawyer, error)
}

// Handoffs takes requests for a human lawyer. Nil in Config means no human lawyers
// are reachable from this node: callers are told so honestly.
type Handoffs interface {
	Request(ctx context.Context, req HandoffRequest) error
}

// HandoffRequest is what a call hands to the lawyers' queue.
type HandoffRequest struct {
	CallID   string
	LawyerID int // the lawyer whose avatar was called (preferred)
	Topic    string
	Reason   string
	Summary  string
	Lang     string
}

// Config is what a Host is built from.
type Config struct {
	Log       *slog.Logger
	Media     *media.API
	Video     media.VideoConfig
	Directory Directory
	Records   *Records
	Answerer  answer.Answerer
	Speech    stt.Recognizer // nil: typed questions only
	Voice     tts.Synthesizer
	VAD       vad.Config
	Handoffs  Handoffs
	// MaxCalls refuses new calls beyond this many live ones on this node; 0 means no
	// limit.
	MaxCalls int
	// MaxSpeaking refuses new calls while this many avatars are speaking at once; 0
	// means no limit. Speaking avatars cost a video encode each.
	MaxSpeaking int
	// MaxCPU refuses new calls while this process has used more than this much CPU over
	// the last second or more, in percent of one core (on 2 cores, 200 is all of the
	// machine); 0 means no limit. It keeps running calls at their frame rate.
	MaxCPU int
	// RecordDir, when set, saves each caller's audio as a WAV file there.
	RecordDir string
}

// Host starts and tracks the calls of this node. It implements signaling.Host.
type Host struct {
	cfg   Config
	faces *Faces

	mu    sync.Mutex
	calls map[string]*Call
	ended videoTotals // video counters of calls that have ended

	speaking atomic.Int64
	metrics  *Metrics
	cpu      cpuMeter
}

// NewHost returns a host for cfg.
func NewHost(cfg Config) *Host {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Host{cfg: cfg, faces: NewFaces(cfg.Log, cfg.Video), calls: map[string]*Call{},
		metrics: newMetrics()}
}

// Faces returns the host's avatar cache.
func (h *Host) Faces() *Faces { return h.faces }

// Live returns the number of calls in progress.
func (h *Host) Live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.calls)
}

// Speaking returns the number of avatars speaking right now.
func (h *Host) Speaking() int { return int(h.speaking.Load()) }

// Call returns the live call with id, if this node holds it.
func (h *Host) Call(id string) (*Call, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.calls[id]
	return c, ok
}

// Start implements signaling.Host: it checks the lawyer and the node's capacity, stores
// the call, and prepares its peer connection and conversation.
func (h *Host) Start(ctx context.Context, req signaling.JoinRequest,
	events signaling.Sink) (signaling.Session, error) {
	l, err := h.cfg.Directory.Get(ctx, req.Lawyer)
	if errors.Is(err, lawyers.ErrNotFound) {
		return nil, signaling.ErrUnknownLawyer
	}
	if err != nil {
		return nil, fmt.Errorf("calls: look up lawyer %d: %w", req.Lawyer, err)
	}
	if err := h.admit(); err != nil {
		h.metrics.refused.Inc()
		return nil, err
	}
	lang := req.Lang
	if lang != "en" {
		lang = "zh"
	}
	rec, err := h.cfg.Records.Create(ctx, l.ID, lang)
	if err != nil {
		return nil, err
	}
	c, err := newCall(h, rec, l, events)
	if err != nil {
		_ = h.cfg.Records.End(context.WithoutCancel(ctx), rec.ID, "setup_failed", false)
		return nil, err
	}
	h.mu.Lock()
	h.calls[rec.ID] = c
	h.mu.Unlock()
	h.metrics.started.Inc()
	h.cfg.Log.Info("call started", "call_id", rec.ID, "lawyer_id", l.ID, "lang", lang)
	return c, nil
}

// admit refuses a call that would push the node past its budget.
func (h *Host) admit() error {
	h.mu.Lock()
	live := len(h.calls)
	h.mu.Unlock()
	if h.cfg.MaxCalls > 0 && live >= h.cfg.MaxCalls {
		return &signaling.OverCapacityError{RetryAfter: retryAfter, Position: live - h.cfg.MaxCalls + 1}
	}
	if h.cfg.MaxSpeaking > 0 && h.Speaking() >= h.cfg.MaxSpeaking {
		return &signaling.OverCapacityError{RetryAfter: retryAfter}
	}
	if h.cfg.MaxCPU > 0 && h.cpu.percent(time.Now()) >= float64(h.cfg.MaxCPU) {
		return &signaling.OverCapacityError{RetryAfter: retryAfter}
	}
	return nil
}

// cpuMeter measures the process's CPU use cheaply: one getrusage call when asked, at
// most once a second, averaged since the previous reading.
type cpuMeter struct {
	mu   sync.Mutex
	at   time.Time
	used time.Duration
	last float64
}

// percent returns the CPU use, in percent of one core, between the last two readings
// taken at least a second apart.
func (m *cpuMeter) percent(now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.at) < time.Second {
		return m.last
	}
	used := processCPU()
	if !m.at.IsZero() {
		m.last = float64(used-m.used) / float64(now.Sub(m.at)) * 100
	}
	m.at, m.used = now, used
	return m.last
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// forget removes an ended call, keeping its video counters in the totals.
func (h *Host) forget(c *Call) {
	h.mu.Lock()
	if _, ok := h.calls[c.rec.ID]; ok {
		h.ended.add(c.video.Stats())
		delete(h.calls, c.rec.ID)
	}
	h.mu.Unlock()
}

// Shutdown hangs up every call, waits for them to end or ctx to expire, and stops the
// shared idle streams.
func (h *Host) Shutdown(ctx context.Context) {
	h.mu.Lock()
	live := make([]*Call, 0, len(h.calls))
	for _, c := range h.calls {
		live = append(live, c)
	}
	h.mu.Unlock()
	for _, c := range live {
		c.Hangup(signaling.ReasonServerShutdown)
	}
	for _, c := range live {
		select {
		case <-c.Done():
		case <-ctx.Done():
			return
		}
	}
	h.faces.Close()
}
