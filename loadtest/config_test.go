package loadtest

import (
	"errors"
	"testing"
	"time"
)

func TestParseRamp(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"10/s", 10, true}, {"600/m", 10, true}, {"0.5/s", 0.5, true}, {"7", 7, true},
		{" 3 / min ", 0.05, true}, {"0/s", 0, false}, {"-1/s", 0, false}, {"10/h", 0, false},
		{"fast", 0, false}, {"", 0, false}, {"NaN/s", 0, false},
	} {
		got, err := ParseRamp(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseRamp(%q) = %g, %v; want %g ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	for _, tt := range []struct {
		url    string
		remote bool
		want   string
		err    error
	}{
		{"http://127.0.0.1:8080", false, "ws://127.0.0.1:8080/ws/call", nil},
		{"http://localhost:9/x?y", false, "ws://localhost:9/ws/call", nil},
		{"https://[::1]:443", false, "wss://[::1]:443/ws/call", nil},
		{"http://127.9.9.9:1", false, "ws://127.9.9.9:1/ws/call", nil},
		{"http://10.0.0.5:8080", false, "", ErrNotLoopback},
		{"http://example.com", false, "", ErrNotLoopback},
		{"http://localhost.example.com", false, "", ErrNotLoopback},
		{"http://0.0.0.0:8080", false, "", ErrNotLoopback},
		{"http://10.0.0.5:8080", true, "ws://10.0.0.5:8080/ws/call", nil},
	} {
		got, err := CheckTarget(tt.url, tt.remote)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("CheckTarget(%q, %v) = %q, %v; want %q, %v", tt.url, tt.remote, got, err,
				tt.want, tt.err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://127.0.0.1", "ws://127.0.0.1"} {
		if _, err := CheckTarget(bad, true); err == nil {
			t.Errorf("CheckTarget(%q) accepted", bad)
		}
	}
}

func TestConfigBounds(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1:1", Calls: 5, Duration: 10 * time.Second}
	c, err := ok.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Ramp != 10 || c.Lawyers != 10 || c.Lang != "en" || c.FPS != 25 {
		t.Errorf("defaults: %+v", c)
	}
	for name, mod := range map[string]func(*Config){
		"no calls":       func(c *Config) { c.Calls = 0 },
		"too many calls": func(c *Config) { c.Calls = MaxCalls + 1 },
		"too short":      func(c *Config) { c.Duration = 500 * time.Millisecond },
		"too long":       func(c *Config) { c.Duration = MaxDuration + time.Second },
		"ramp too fast":  func(c *Config) { c.Ramp = MaxRamp * 2 },
		"negative ramp":  func(c *Config) { c.Ramp = -1 },
		"talkers > 1":    func(c *Config) { c.Talkers = 1.5 },
		"talkers < 0":    func(c *Config) { c.Talkers = -0.1 },
		"bad lang":       func(c *Config) { c.Lang = "fr" },
		"remote":         func(c *Config) { c.URL = "http://192.0.2.1:80" },
	} {
		c := ok
		mod(&c)
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
	c = ok
	c.Calls, c.Duration = MaxCalls, MaxDuration
	if _, err := c.withDefaults(); err != nil {
		t.Errorf("the bounds themselves must be allowed: %v", err)
	}
}

func TestRampSchedule(t *testing.T) {
	if got := startOffset(0, 10); got != 0 {
		t.Errorf("first caller starts at %s", got)
	}
	if got := startOffset(25, 10); got != 2500*time.Millisecond {
		t.Errorf("caller 25 at 10/s starts at %s", got)
	}
	if got := startOffset(3, 0.5); got != 6*time.Second {
		t.Errorf("caller 3 at 0.5/s starts at %s", got)
	}
}

func TestTalkersShare(t *testing.T) {
	for _, tt := range []struct {
		n     int
		share float64
		want  int
	}{{10, 0.2, 2}, {5, 1, 5}, {5, 0, 0}, {200, 0.1, 20}, {3, 0.5, 2}, {7, 0.33, 2}} {
		got, firstHalf := 0, 0
		for i := range tt.n {
			if talks(i, tt.n, tt.share) {
				got++
				if i < tt.n/2 {
					firstHalf++
				}
			}
		}
		if got != tt.want {
			t.Errorf("%d callers × %g: %d talk, want %d", tt.n, tt.share, got, tt.want)
		}
		if tt.want >= 4 && (firstHalf == 0 || firstHalf == tt.want) {
			t.Errorf("%d callers × %g: talkers not spread through the ramp", tt.n, tt.share)
		}
	}
}
