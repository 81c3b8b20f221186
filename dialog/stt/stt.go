// Package stt owns speech-to-text for Fayun: the Recognizer interface, the embedded
// PocketSphinx engine with a language model generated from the law domain (and the
// generator itself), and an OpenAI-compatible /v1/audio/transcriptions engine for
// Whisper-class servers, the only way to recognise Chinese here.
package stt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fayun/dialog/audio"
)

// Result is the transcript of one utterance.
type Result struct {
	Text string
	Lang string // "en", "zh", or what the engine detected
	// Confidence is the engine's belief in the transcript, 0–1; engines that give
	// none report -1.
	Confidence float64
}

// Recognizer transcribes one utterance (a turn cut by the voice activity detector).
// lang is "en", "zh", or "" to let the engine decide. Implementations are safe for
// concurrent use and return promptly with ctx.Err() when ctx is cancelled.
type Recognizer interface {
	Recognize(ctx context.Context, u audio.PCM, lang string) (Result, error)
}

// MaxUtterance is the longest audio a recognizer accepts in one call; longer audio
// must be cut into turns first (the voice activity detector does).
const MaxUtterance = 2 * time.Minute

// Errors callers branch on.
var (
	ErrLanguage = errors.New("stt: language not supported by this engine")
	ErrTooLong  = errors.New("stt: utterance too long")
)

// prepare checks an utterance, brings it to 16 kHz and removes any DC offset.
func prepare(u audio.PCM) (audio.PCM, error) {
	if len(u.Samples) == 0 {
		return audio.PCM{}, audio.ErrEmpty
	}
	if d := u.Duration(); d > MaxUtterance {
		return audio.PCM{}, fmt.Errorf("%v (limit %v): %w", d.Round(time.Second), MaxUtterance, ErrTooLong)
	}
	if u.Rate != audio.RateSTT {
		var err error
		if u, err = audio.Resample(u, audio.RateSTT); err != nil {
			return audio.PCM{}, err
		}
	}
	return audio.PCM{Rate: u.Rate, Samples: audio.RemoveDC(u.Samples)}, nil
}
