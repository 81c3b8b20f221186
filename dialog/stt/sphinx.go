package stt

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <stdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>

static ps_decoder_t *fayun_ps_new(const char *hmm, const char *lm, const char *dict,
                                  const char *lw, const char *wip, const char *rn) {
	err_set_logfp(NULL);
	cmd_ln_t *cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm,
		"-dict", dict, "-lw", lw, "-wip", wip, "-remove_noise", rn, "-logfn", "/dev/null", NULL);
	if (cfg == NULL) return NULL;
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

static double fayun_ps_confidence(ps_decoder_t *ps) {
	int32 p = ps_get_prob(ps);
	return logmath_exp(ps_get_logmath(ps), p);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"fayun/dialog/audio"
)

// Paths of Debian's pocketsphinx-en-us package.
const (
	DefaultSphinxHMM  = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultSphinxDict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
)

// SphinxConfig configures the PocketSphinx engine. Zero fields take defaults.
type SphinxConfig struct {
	HMM      string // acoustic model directory; default DefaultSphinxHMM
	FullDict string // pronouncing dictionary the model's words come from; DefaultSphinxDict
	CacheDir string // where generated models are kept; default os.UserCacheDir()/fayun/stt
	// Sentences the domain language model is generated from; default
	// DomainSentences (common questions and the cards' English text).
	Sentences []string
	// LanguageWeight scales the language model against the acoustics; default 6.5.
	LanguageWeight float64
	// WordInsertion is the word insertion probability; default 0.2 (PocketSphinx's
	// own default, 0.65, inserted short words in the round-trip test).
	WordInsertion float64
	// RemoveNoise turns on PocketSphinx's spectral noise subtraction. Default off:
	// browsers already suppress noise on WebRTC microphones, and on clean speech
	// it cost about 1.5 points of word error rate.
	RemoveNoise bool
	// Decoders is how many utterances can be recognized at once (each decoder
	// holds about 25 MB); default 2.
	Decoders int
}

// Sphinx recognizes English with PocketSphinx and a language model generated from
// the law domain. It is safe for concurrent use: each recognition borrows one of a
// fixed pool of decoders.
type Sphinx struct {
	model  Model
	pool   chan *C.ps_decoder_t
	mu     sync.Mutex // guards closed
	all    []*C.ps_decoder_t
	closed bool
}

// NewSphinx generates (or reuses from the cache) the domain model and starts the
// decoders.
func NewSphinx(cfg SphinxConfig) (*Sphinx, error) {
	if cfg.HMM == "" {
		cfg.HMM = DefaultSphinxHMM
	}
	if cfg.FullDict == "" {
		cfg.FullDict = DefaultSphinxDict
	}
	if cfg.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		cfg.CacheDir = filepath.Join(dir, "fayun", "stt")
	}
	if cfg.Sentences == nil {
		s, err := DomainSentences()
		if err != nil {
			return nil, fmt.Errorf("sphinx: %w", err)
		}
		cfg.Sentences = s
	}
	if cfg.LanguageWeight <= 0 {
		cfg.LanguageWeight = 6.5
	}
	if cfg.WordInsertion <= 0 {
		cfg.WordInsertion = 0.2
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = 2
	}
	if _, err := os.Stat(filepath.Join(cfg.HMM, "mdef")); err != nil {
		return nil, fmt.Errorf("sphinx: acoustic model: %w (install pocketsphinx-en-us)", err)
	}
	m, err := BuildModel(cfg.CacheDir, cfg.FullDict, cfg.Sentences)
	if err != nil {
		return nil, fmt.Errorf("sphinx: %w", err)
	}
	s := &Sphinx{model: m, pool: make(chan *C.ps_decoder_t, cfg.Decoders)}
	hmm, lm, dict := C.CString(cfg.HMM), C.CString(m.LM), C.CString(m.Dict)
	lw := C.CString(fmt.Sprintf("%g", cfg.LanguageWeight))
	wip := C.CString(fmt.Sprintf("%g", cfg.WordInsertion))
	rn := C.CString(map[bool]string{true: "yes", false: "no"}[cfg.RemoveNoise])
	defer func() {
		for _, p := range []*C.char{hmm, lm, dict, lw, wip, rn} {
			C.free(unsafe.Pointer(p))
		}
	}()
	for i := 0; i < cfg.Decoders; i++ {
		ps := C.fayun_ps_new(hmm, lm, dict, lw, wip, rn)
		if ps == nil {
			s.Close()
			return nil, fmt.Errorf("sphinx: decoder failed to start (model %s)", m.LM)
		}
		s.all = append(s.all, ps)
		s.pool <- ps
	}
	return s, nil
}

// Model returns the generated language model the engine uses.
func (s *Sphinx) Model() Model { return s.model }

// Close frees the decoders, waiting for recognitions in progress.
func (s *Sphinx) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	for range s.all {
		C.ps_free(<-s.pool)
	}
	return nil
}

// sphinxChunk is how much audio is decoded between checks of the context: 250 ms,
// about 40 ms of work at the measured real-time factor.
const sphinxChunk = audio.RateSTT / 4

// Recognize transcribes one English utterance. Audio at other rates is resampled to
// 16 kHz. Languages other than English are refused with ErrLanguage.
func (s *Sphinx) Recognize(ctx context.Context, u audio.PCM, lang string) (Result, error) {
	if lang != "" && lang != "en" {
		return Result{}, fmt.Errorf("sphinx: %q: %w", lang, ErrLanguage)
	}
	pcm, err := prepare(u)
	if err != nil {
		return Result{}, fmt.Errorf("sphinx: %w", err)
	}
	pcm = pad(pcm)
	var ps *C.ps_decoder_t
	select {
	case ps = <-s.pool:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { s.pool <- ps }()
	if C.ps_start_utt(ps) < 0 {
		return Result{}, errors.New("sphinx: start utterance failed")
	}
	for off := 0; off < len(pcm.Samples); off += sphinxChunk {
		if err := ctx.Err(); err != nil {
			C.ps_end_utt(ps)
			return Result{}, err
		}
		chunk := pcm.Samples[off:min(off+sphinxChunk, len(pcm.Samples))]
		if C.ps_process_raw(ps, (*C.int16)(unsafe.Pointer(&chunk[0])), C.size_t(len(chunk)), 0, 0) < 0 {
			C.ps_end_utt(ps)
			return Result{}, errors.New("sphinx: decoding failed")
		}
	}
	if C.ps_end_utt(ps) < 0 {
		return Result{}, errors.New("sphinx: end utterance failed")
	}
	var score C.int32
	hyp := C.ps_get_hyp(ps, &score)
	if hyp == nil {
		return Result{Lang: "en", Confidence: 0}, nil
	}
	text := strings.Join(strings.Fields(C.GoString(hyp)), " ")
	conf := float64(C.fayun_ps_confidence(ps))
	return Result{Text: text, Lang: "en", Confidence: min(max(conf, 0), 1)}, nil
}

// sphinxPad is quiet audio put around an utterance: the recognizer's silence model
// needs some frames before the first word, and the detector's pre-roll may be short.
const sphinxPad = 300 * time.Millisecond

// pad surrounds u with sphinxPad of low dither noise (digital silence gives the
// feature extraction log-of-zero energies).
func pad(u audio.PCM) audio.PCM {
	n := audio.SamplesFor(u.Rate, sphinxPad)
	out := make([]int16, 0, len(u.Samples)+2*n)
	var x uint32 = 2463534242
	dither := func() int16 { // xorshift, ±4 LSB
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return int16(x%9) - 4
	}
	for i := 0; i < n; i++ {
		out = append(out, dither())
	}
	out = append(out, u.Samples...)
	for i := 0; i < n; i++ {
		out = append(out, dither())
	}
	return audio.PCM{Rate: u.Rate, Samples: out}
}
