package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"fayun/dialog/audio"
	"fayun/internal/openaiapi"
)

// maxSpeechBytes caps the audio accepted from a speech server for one sentence
// (about 10 minutes of 16-bit 24 kHz audio).
const maxSpeechBytes = 32 << 20

// OpenAIConfig configures the OpenAI-compatible speech engine.
type OpenAIConfig struct {
	BaseURL string // API root including /v1; required
	APIKey  string // bearer token; may be empty for local servers
	Model   string // default "tts-1"
	// Voice, when set, is used for every lawyer instead of Voice.OpenAIName (for
	// servers with their own voice names).
	Voice string
	// Timeout bounds each attempt; default 20 s. Retries repeats transient
	// failures (network, timeout, 429, 5xx); default 2.
	Timeout time.Duration
	Retries int
	// HTTPClient replaces the default client (tests, proxies).
	HTTPClient *http.Client
}

// OpenAI synthesizes with an OpenAI-compatible /v1/audio/speech endpoint, asking
// for WAV, and estimates visemes from the audio envelope because such servers
// report no phonemes.
type OpenAI struct {
	client *openai.Client
	cfg    OpenAIConfig
}

// NewOpenAI returns an engine for cfg.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("openai tts: base URL is required")
	}
	if cfg.Model == "" {
		cfg.Model = "tts-1"
	}
	openaiapi.Settle(&cfg.Timeout, &cfg.Retries)
	return &OpenAI{client: openaiapi.NewClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient), cfg: cfg}, nil
}

// Synthesize requests text in v's OpenAI voice and speed and returns 48 kHz audio
// with an envelope-derived viseme timeline.
func (o *OpenAI) Synthesize(ctx context.Context, text string, v Voice) (Speech, error) {
	text = Clean(text)
	if text == "" {
		return Speech{}, ErrNoSpeech
	}
	voice := o.cfg.Voice
	if voice == "" {
		voice = v.OpenAIName
	}
	if voice == "" {
		voice = "alloy"
	}
	speed := v.Speed
	if speed <= 0 {
		speed = 1
	}
	speed = min(max(speed, 0.25), 4)
	var body []byte
	tooBig := func(err error) bool { return errors.Is(err, errTooBig) }
	err := openaiapi.Retry(ctx, o.cfg.Retries, o.cfg.Timeout, tooBig, func(ctx context.Context) error {
		resp, err := o.client.CreateSpeech(ctx, openai.CreateSpeechRequest{
			Model:          openai.SpeechModel(o.cfg.Model),
			Input:          text,
			Voice:          openai.SpeechVoice(voice),
			ResponseFormat: openai.SpeechResponseFormatWav,
			Speed:          speed,
		})
		if err != nil {
			return err
		}
		defer resp.Close()
		body, err = io.ReadAll(io.LimitReader(resp, maxSpeechBytes+1))
		if err == nil && len(body) > maxSpeechBytes {
			return errTooBig
		}
		return err
	})
	if err != nil {
		return Speech{}, fmt.Errorf("openai tts: %w", err)
	}
	pcm, err := audio.DecodeWAV(body, 0)
	if err != nil {
		return Speech{}, fmt.Errorf("openai tts: response: %w", err)
	}
	if pcm, err = audio.Resample(pcm, OutputRate); err != nil {
		return Speech{}, fmt.Errorf("openai tts: %w", err)
	}
	return Speech{Text: text, Audio: pcm, Visemes: EnvelopeVisemes(pcm.Samples, pcm.Rate)}, nil
}

var errTooBig = errors.New("response larger than 32 MiB")
