package stt

import (
	"fmt"
	"time"
)

// Config selects and configures a speech-to-text engine (FAYUN_STT and friends).
type Config struct {
	Engine   string        // "pocketsphinx" (default) or "openai"
	BaseURL  string        // openai: API root including /v1
	Model    string        // openai: model name; default whisper-1
	APIKey   string        // openai: bearer token
	Timeout  time.Duration // openai: per attempt; default 20 s
	CacheDir string        // pocketsphinx: where generated models are kept
}

// Engine is a Recognizer that holds resources until closed.
type Engine interface {
	Recognizer
	Close() error
}

// New starts the engine cfg names.
func New(cfg Config) (Engine, error) {
	switch cfg.Engine {
	case "", "pocketsphinx":
		return NewSphinx(SphinxConfig{CacheDir: cfg.CacheDir})
	case "openai":
		o, err := NewOpenAI(OpenAIConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey,
			Model: cfg.Model, Timeout: cfg.Timeout})
		if err != nil {
			return nil, err
		}
		return o, nil
	}
	return nil, fmt.Errorf("stt: unknown engine %q (want pocketsphinx or openai)", cfg.Engine)
}

// Close does nothing: the engine holds only an HTTP client.
func (o *OpenAI) Close() error { return nil }
