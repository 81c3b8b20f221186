package stt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"fayun/dialog/audio"
	"fayun/internal/openaiapi"
)

// OpenAIConfig configures the OpenAI-compatible transcription engine.
type OpenAIConfig struct {
	BaseURL string // API root including /v1, e.g. http://127.0.0.1:8000/v1; required
	APIKey  string // bearer token; may be empty for local servers
	Model   string // default "whisper-1"
	// Timeout bounds each attempt; default 20 s.
	Timeout time.Duration
	// Retries is how many times a failed attempt (network error, timeout, HTTP 429
	// or 5xx) is repeated; default 2. Client errors (4xx) are not retried.
	Retries int
	// HTTPClient replaces the default client (tests, proxies).
	HTTPClient *http.Client
}

// OpenAI transcribes utterances with an OpenAI-compatible /v1/audio/transcriptions
// endpoint (Whisper-class servers), uploading each as a 16 kHz WAV file. It is the
// only engine here that recognises Chinese.
type OpenAI struct {
	client *openai.Client
	cfg    OpenAIConfig
}

// NewOpenAI returns an engine for cfg.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("openai stt: base URL is required")
	}
	if cfg.Model == "" {
		cfg.Model = "whisper-1"
	}
	openaiapi.Settle(&cfg.Timeout, &cfg.Retries)
	return &OpenAI{client: openaiapi.NewClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient), cfg: cfg}, nil
}

// Recognize uploads u with lang as the language hint ("" lets the server detect
// it) and returns the transcript. Confidence comes from the segments' average log
// probability when the server returns verbose JSON, and is -1 otherwise.
func (o *OpenAI) Recognize(ctx context.Context, u audio.PCM, lang string) (Result, error) {
	pcm, err := prepare(u)
	if err != nil {
		return Result{}, fmt.Errorf("openai stt: %w", err)
	}
	wav, err := audio.EncodeWAV(pcm)
	if err != nil {
		return Result{}, fmt.Errorf("openai stt: %w", err)
	}
	var resp openai.AudioResponse
	err = openaiapi.Retry(ctx, o.cfg.Retries, o.cfg.Timeout, nil, func(ctx context.Context) error {
		resp, err = o.client.CreateTranscription(ctx, openai.AudioRequest{
			Model:    o.cfg.Model,
			FilePath: "utterance.wav",
			Reader:   bytes.NewReader(wav),
			Language: lang,
			Format:   openai.AudioResponseFormatVerboseJSON,
		})
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("openai stt: %w", err)
	}
	r := Result{Text: strings.TrimSpace(resp.Text), Lang: lang, Confidence: -1}
	if resp.Language != "" {
		r.Lang = normalizeLang(resp.Language)
	}
	if n := len(resp.Segments); n > 0 {
		var sum float64
		for _, s := range resp.Segments {
			sum += s.AvgLogprob
		}
		r.Confidence = math.Exp(sum / float64(n))
	}
	return r, nil
}

// normalizeLang maps Whisper's language names to Fayun's codes.
func normalizeLang(l string) string {
	switch strings.ToLower(l) {
	case "english", "en":
		return "en"
	case "chinese", "mandarin", "zh", "zh-cn", "cmn":
		return "zh"
	}
	return strings.ToLower(l)
}
