// Package openaiapi holds what Fayun's clients of OpenAI-compatible servers share: the
// client construction, and retrying an attempt with a per-attempt timeout while the
// failure is transient.
package openaiapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults of every engine that talks to such a server.
const (
	DefaultTimeout = 20 * time.Second
	DefaultRetries = 2
)

// NewClient returns a client of the server at baseURL (the API root including /v1),
// authenticating with apiKey when it is not empty. hc replaces the HTTP client when set.
func NewClient(baseURL, apiKey string, hc *http.Client) *openai.Client {
	c := openai.DefaultConfig(apiKey)
	c.BaseURL = strings.TrimRight(baseURL, "/")
	if hc != nil {
		c.HTTPClient = hc
	}
	return openai.NewClientWithConfig(c)
}

// Settle fills in the default timeout and retry count: a zero timeout or retry count
// takes the default, a negative retry count means no retries.
func Settle(timeout *time.Duration, retries *int) {
	if *timeout <= 0 {
		*timeout = DefaultTimeout
	}
	switch {
	case *retries < 0:
		*retries = 0
	case *retries == 0:
		*retries = DefaultRetries
	}
}

// Retry runs attempt up to 1+retries times, each under its own timeout, while the error
// is transient (see Transient) and permanent does not claim it, backing off 200 ms,
// 400 ms, … between attempts. It returns ctx's error when ctx ends.
func Retry(ctx context.Context, retries int, timeout time.Duration,
	permanent func(error) bool, attempt func(context.Context) error) error {
	var err error
	for i := 0; i <= retries; i++ {
		if i > 0 {
			select {
			case <-time.After(time.Duration(100<<i) * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		err = attempt(actx)
		cancel()
		if err == nil || ctx.Err() != nil || !Transient(err) ||
			(permanent != nil && permanent(err)) {
			break
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Transient reports errors worth another attempt: timeouts, connection failures, rate
// limits (HTTP 429) and server errors (5xx). Other HTTP errors are the request's fault.
func Transient(err error) bool {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500
	}
	return true // transport errors and per-attempt timeouts
}
