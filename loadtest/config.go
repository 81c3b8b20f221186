// Package loadtest drives a running `fayun serve` with headless WebRTC callers and
// reports what they experienced: join failures, video frames per second, late and missing
// frames, voice turn latency, and the server's CPU and memory sampled from /metrics.
//
// Each caller speaks the documented call protocol (docs/protocol.md): a WebSocket join,
// an SDP offer with audio sendrecv, video recvonly and an `events` data channel, trickle
// ICE, and a hang-up at the end. Talking callers send Opus packets of questions spoken
// by eSpeak NG, with pauses, and time each turn from the end of their own speech to the
// first avatar audio packet after it. The run is bounded in calls and time and refuses
// targets that are not loopback unless told otherwise.
package loadtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Hard bounds of one run, whatever the flags say.
const (
	MaxCalls    = 2000
	MaxDuration = 10 * time.Minute
	MaxRamp     = 1000.0 // new calls per second
)

// Config is one load run.
type Config struct {
	// URL is the server's base URL, http://HOST:PORT; /ws/call and /metrics hang off it.
	URL string
	// Calls is how many callers to start (1..MaxCalls).
	Calls int
	// Duration is how long each caller stays in its call once connected (1 s..MaxDuration).
	Duration time.Duration
	// Ramp is how many callers start per second. Default 10.
	Ramp float64
	// Talkers is the share (0..1) of callers that ask spoken questions; the rest stay
	// silent and watch the idle avatar. Default 0.
	Talkers float64
	// Lawyers is how many distinct lawyers (ids 1..Lawyers) the callers are spread over,
	// round robin. Default 10.
	Lawyers int
	// Lang is the call language; "en" (the default) for spoken questions, which the
	// embedded recogniser understands in English only.
	Lang string
	// IdleAudio makes silent callers send Opus silence every 20 ms, as a browser with an
	// open microphone does. Default true in the command.
	IdleAudio bool
	// Typed makes talkers send their questions as `ask` events instead of speech.
	Typed bool
	// DecodeAll decodes every received video frame with libvpx; otherwise only the first
	// second of each call is decoded (to prove the stream is valid) and the rest is
	// counted from RTP, which keeps the callers' own CPU cost low.
	DecodeAll bool
	// Settle is how long after the last caller connected the steady window (for the
	// server's CPU and memory) opens: long enough for the greetings to end. Default 10 s.
	Settle time.Duration
	// FPS is the frame rate the server is expected to send. Default 25.
	FPS int
	// AllowRemote permits a target that is not a loopback address.
	AllowRemote bool
	// Speech is the encoded question audio; nil builds it with eSpeak NG when there are
	// talkers.
	Speech *Speech
	// Progress, if set, receives a line now and then during the run.
	Progress func(string)
}

// ErrNotLoopback is returned for a target that is not on this machine when AllowRemote
// is off.
var ErrNotLoopback = errors.New("loadtest: target is not a loopback address " +
	"(pass --allow-remote to load a remote server you operate)")

// withDefaults fills zero fields and checks every bound.
func (c Config) withDefaults() (Config, error) {
	if c.Ramp == 0 {
		c.Ramp = 10
	}
	if c.Lawyers == 0 {
		c.Lawyers = 10
	}
	if c.Lang == "" {
		c.Lang = "en"
	}
	if c.FPS == 0 {
		c.FPS = 25
	}
	if c.Settle == 0 {
		c.Settle = 10 * time.Second
	}
	switch {
	case c.Calls < 1 || c.Calls > MaxCalls:
		return c, fmt.Errorf("loadtest: calls %d out of 1..%d", c.Calls, MaxCalls)
	case c.Duration < time.Second || c.Duration > MaxDuration:
		return c, fmt.Errorf("loadtest: duration %s out of 1s..%s", c.Duration, MaxDuration)
	case !(c.Ramp > 0) || c.Ramp > MaxRamp:
		return c, fmt.Errorf("loadtest: ramp %g/s out of (0, %g]", c.Ramp, MaxRamp)
	case !(c.Talkers >= 0 && c.Talkers <= 1):
		return c, fmt.Errorf("loadtest: talkers %g out of 0..1", c.Talkers)
	case c.Lawyers < 1 || c.Lawyers > 10000:
		return c, fmt.Errorf("loadtest: lawyers %d out of 1..10000", c.Lawyers)
	case c.Lang != "en" && c.Lang != "zh":
		return c, fmt.Errorf("loadtest: lang %q is not en or zh", c.Lang)
	case c.FPS < 1 || c.FPS > 60:
		return c, fmt.Errorf("loadtest: fps %d out of 1..60", c.FPS)
	}
	if _, err := CheckTarget(c.URL, c.AllowRemote); err != nil {
		return c, err
	}
	return c, nil
}

// ParseRamp reads a ramp rate: "10/s", "600/m", "0.5/s" or a bare number of calls per
// second.
func ParseRamp(s string) (float64, error) {
	num, unit, found := strings.Cut(strings.TrimSpace(s), "/")
	per := 1.0
	if found {
		switch strings.TrimSpace(unit) {
		case "s", "sec":
			per = 1
		case "m", "min":
			per = 60
		default:
			return 0, fmt.Errorf("loadtest: ramp %q: unit must be /s or /m", s)
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || !(n > 0) {
		return 0, fmt.Errorf("loadtest: ramp %q: want a positive rate like 10/s", s)
	}
	return n / per, nil
}

// startOffset is when caller i (from 0) starts, relative to the start of the run.
func startOffset(i int, ramp float64) time.Duration {
	return time.Duration(float64(i) / ramp * float64(time.Second))
}

// talks reports whether caller i of n is a talker when share of all callers talk. Talkers
// are spread evenly through the ramp: exactly round(share·n) of the n callers talk.
func talks(i, n int, share float64) bool {
	if share <= 0 || n <= 0 {
		return false
	}
	want := func(k int) int { return int(share*float64(k) + 0.5) }
	return want(i+1) > want(i)
}

// CheckTarget parses a base URL (http or https) and returns the WebSocket URL of its
// call endpoint. Unless allowRemote is set, the host must be a loopback IP address or
// "localhost".
func CheckTarget(raw string, allowRemote bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("loadtest: url %q: want http://HOST:PORT", raw)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("loadtest: url %q: scheme must be http or https", raw)
	}
	if !allowRemote && !isLoopbackHost(u.Hostname()) {
		return "", ErrNotLoopback
	}
	u.Path, u.RawQuery, u.Fragment = "/ws/call", "", ""
	return u.String(), nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
