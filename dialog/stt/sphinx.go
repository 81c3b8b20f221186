package stt

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <stdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/fe.h>

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

// fayun_ps_cmn_from sets the decoder's cepstral mean to the mean of the whole
// utterance before decoding it. Decoding in chunks (so cancellation is prompt) uses
// live mean normalisation, whose estimate would otherwise come from the previous
// utterance: one noisy utterance then spoils the next, and a reset to the model's
// initial mean fits synthetic or unusual voices badly. This gives chunked decoding
// the accuracy of whole-utterance (batch) normalisation for the price of computing
// the features twice (about 1% of decoding time).
static int fayun_ps_cmn_from(ps_decoder_t *ps, const int16 *pcm, size_t n) {
	cmn_t *cmn = ps_get_feat(ps)->cmn_struct;
	fe_t *fe = ps_get_fe(ps);
	mfcc_t **cep = NULL;
	int32 nfr = 0;
	if (cmn == NULL || fe == NULL) return -1;
	if (fe_start_utt(fe) < 0) return -1;
	if (fe_process_utt(fe, pcm, n, &cep, &nfr) < 0 || nfr <= 0 || cep == NULL) {
		if (cep != NULL) fe_free_2d(cep);
		return -1;
	}
	mfcc_t *mean = calloc(cmn->veclen, sizeof(mfcc_t));
	for (int32 f = 0; f < nfr; f++)
		for (int32 j = 0; j < cmn->veclen; j++) mean[j] += cep[f][j];
	for (int32 j = 0; j < cmn->veclen; j++) mean[j] /= nfr;
	cmn_live_set(cmn, mean);
	free(mean);
	fe_free_2d(cep);
	return 0;
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
	pool   chan *decoder
	mu     sync.Mutex // guards closed
	all    []*decoder
	closed bool
}

// decoder is one PocketSphinx decoder.
type decoder struct {
	ps *C.ps_decoder_t
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
	s := &Sphinx{model: m, pool: make(chan *decoder, cfg.Decoders)}
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
		d := &decoder{ps: ps}
		s.all = append(s.all, d)
		s.pool <- d
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
		d := <-s.pool
		C.ps_free(d.ps)
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
	if audio.DBFS(audio.RMS(pcm.Samples)) < silentDBFS {
		return Result{Lang: "en", Confidence: 1}, nil // nothing was said
	}
	pcm = pad(pcm)
	var d *decoder
	select {
	case d = <-s.pool:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { s.pool <- d }()
	ps := d.ps
	// When the mean cannot be computed the live estimate stays: worse, not wrong.
	samples := (*C.int16)(unsafe.Pointer(&pcm.Samples[0]))
	C.fayun_ps_cmn_from(ps, samples, C.size_t(len(pcm.Samples)))
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

// silentDBFS is the level below which an utterance is taken as silence and not
// decoded at all.
const silentDBFS = -70

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
