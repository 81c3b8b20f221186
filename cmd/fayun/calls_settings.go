package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"fayun/avatars"
	"fayun/calls"
	"fayun/console"
	"fayun/dialog/answer"
	"fayun/dialog/law"
	"fayun/dialog/stt"
	"fayun/dialog/tts"
	"fayun/dialog/vad"
	"fayun/internal/envflag"
	"fayun/lawyers"
	"fayun/media"
	"fayun/signaling"
)

// callSettings are the settings of live calls on this node.
type callSettings struct {
	maxCalls    int
	maxSpeaking int
	maxCPU      int
	recordDir   string
	hangover    time.Duration
}

func (c *callSettings) register(fs *envflag.Set) {
	fs.Int(&c.maxCalls, "max-calls", 400, "live calls this node accepts (0 = no limit)")
	// Defaults scale with the machine: a speaking avatar costs about a twentieth of a core
	// (docs/benchmarks.md), and joins stop before the node runs out of CPU so that calls
	// already running keep their frame rate.
	fs.Int(&c.maxSpeaking, "max-speaking", 6*runtime.NumCPU(),
		"avatars allowed to think or speak at once; beyond it new calls are refused "+
			"(0 = no limit; default 6 per core)")
	fs.Int(&c.maxCPU, "max-cpu", 85*runtime.NumCPU(),
		"refuse new calls while this process uses more CPU than this, in percent of one core "+
			"(0 = no limit; default 85 per core)")
	fs.Duration(&c.hangover, "vad-hangover", 700*time.Millisecond,
		"silence that ends the caller's turn; shorter answers sooner but may cut people off "+
			"mid-pause (docs/speech.md)")
	fs.String(&c.recordDir, "record-dir", "",
		"save each caller's audio as WAV here (empty = no recording); the call page announces it")
}

func (c *callSettings) validate() error {
	if c.maxCalls < 0 {
		return fmt.Errorf("FAYUN_MAX_CALLS: want 0 or more, got %d", c.maxCalls)
	}
	if c.hangover < 200*time.Millisecond || c.hangover > 3*time.Second {
		return fmt.Errorf("FAYUN_VAD_HANGOVER: want 200ms to 3s, got %s", c.hangover)
	}
	if c.maxSpeaking < 0 {
		return fmt.Errorf("FAYUN_MAX_SPEAKING: want 0 or more, got %d", c.maxSpeaking)
	}
	if c.maxCPU < 0 {
		return fmt.Errorf("FAYUN_MAX_CPU: want 0 or more, got %d", c.maxCPU)
	}
	return nil
}

// liveCalls is what buildCalls assembles for the web server.
type liveCalls struct {
	signaling *signaling.Server
	articles  *law.Library
}

// buildCalls loads the answer engine and speech engines and builds the call host and
// the signaling server on top of them.
func (srv *server) buildCalls(ctx context.Context, dir *lawyers.Directory,
	reg *prometheus.Registry, records *calls.Records, con *console.Console) (*liveCalls, error) {
	s, log := srv.settings, srv.log
	engine, stats, err := answer.Load(ctx, srv.pool, *s.handoff, log)
	if err != nil {
		return nil, err
	}
	srv.closers = append(srv.closers, func() { _ = engine.Index().Close() })
	if stats.Articles == 0 {
		log.Warn("the statute library is empty: answers cite nothing until " +
			"'fayun laws import DIR' has run")
	}
	var ans answer.Answerer = engine
	llm, err := newLLMEngine(s.llm, engine, log)
	if err != nil {
		return nil, err
	}
	if llm != nil {
		ans = llm
	}

	var recognizer stt.Recognizer
	if eng, err := stt.New(s.speech.stt); err != nil {
		log.Warn("speech recognition unavailable; callers can type", "err", err)
	} else {
		recognizer = eng
		srv.closers = append(srv.closers, func() { _ = eng.Close() })
	}
	voice, err := tts.New(s.speech.tts)
	if err != nil {
		return nil, fmt.Errorf("FAYUN_TTS: %w", err)
	}

	mcfg, err := s.media.config()
	if err != nil {
		return nil, err
	}
	api, err := media.NewAPI(mcfg)
	if err != nil {
		return nil, err
	}
	turn, iceServers, err := s.media.startTURN(mcfg, log)
	if err != nil {
		return nil, err
	}
	if turn != nil {
		srv.closers = append(srv.closers, func() { _ = turn.Close() })
	}

	host := calls.NewHost(calls.Config{
		Log: log, Media: api, Directory: dir, Records: records, Handoffs: con,
		Answerer: ans, Speech: recognizer, Voice: voice,
		MaxCalls: s.calls.maxCalls, MaxSpeaking: s.calls.maxSpeaking,
		MaxCPU: s.calls.maxCPU, RecordDir: s.calls.recordDir,
		VAD: vad.Config{Hangover: s.calls.hangover},
	})
	if err := host.Register(reg); err != nil {
		return nil, err
	}
	con.SetCalls(host)
	scfg := signaling.Config{Host: host, Log: log, ICEServers: iceServers, Registerer: reg}
	if err := s.signaling.Apply(&scfg); err != nil {
		return nil, err
	}
	sig, err := signaling.New(scfg)
	if err != nil {
		return nil, err
	}
	srv.drain = append(srv.drain, func(ctx context.Context) { _ = sig.Shutdown(ctx) }, host.Shutdown)
	return &liveCalls{signaling: sig, articles: engine.Library()}, nil
}

// avatarHandler serves the lawyers' portraits from the built-in roster.
func avatarHandler(log *slog.Logger) *avatars.Handler {
	byID := map[int]avatars.Persona{}
	for _, l := range lawyers.Roster() {
		byID[l.ID] = calls.Persona(l)
	}
	return avatars.NewHandler(func(id int) (avatars.Persona, bool) {
		p, ok := byID[id]
		return p, ok
	}, avatars.Options{Logger: log})
}
