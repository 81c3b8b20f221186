package tts

import (
	"fmt"
	"time"
)

// Config selects and configures a text-to-speech engine (FAYUN_TTS and friends).
type Config struct {
	Engine  string        // "espeak" (default) or "openai"
	BaseURL string        // openai: API root including /v1
	Model   string        // openai: model name; default tts-1
	APIKey  string        // openai: bearer token
	Voice   string        // openai: one voice for every lawyer instead of the per-lawyer choice
	Timeout time.Duration // openai: per attempt; default 20 s
}

// New returns the engine cfg names.
func New(cfg Config) (Synthesizer, error) {
	switch cfg.Engine {
	case "", "espeak":
		if err := espeakInit(); err != nil {
			return nil, err
		}
		return ESpeak{}, nil
	case "openai":
		return NewOpenAI(OpenAIConfig{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Model: cfg.Model,
			Voice: cfg.Voice, Timeout: cfg.Timeout})
	}
	return nil, fmt.Errorf("tts: unknown engine %q (want espeak or openai)", cfg.Engine)
}
