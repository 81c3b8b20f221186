package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"fayun/loadtest"
)

func init() {
	register("loadtest", "drive a running server with headless WebRTC callers and report",
		runLoadtest)
}

// loadtestFlags parses the command line of `fayun loadtest`. It reads no environment
// variables: a load run is always spelled out on the command line.
func loadtestFlags(env *environ, args []string) (loadtest.Config, bool, error) {
	var (
		cfg      loadtest.Config
		ramp     string
		asJSON   bool
		duration time.Duration
	)
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the server (http://HOST:PORT)")
	fs.IntVar(&cfg.Calls, "calls", 10, fmt.Sprintf("callers to start (1..%d)", loadtest.MaxCalls))
	fs.DurationVar(&duration, "duration", 30*time.Second,
		fmt.Sprintf("how long each caller stays once connected (1s..%s)", loadtest.MaxDuration))
	fs.StringVar(&ramp, "ramp", "10/s", "how fast callers start: N/s or N/m")
	fs.Float64Var(&cfg.Talkers, "talkers", 0, "share of callers that ask spoken questions (0..1)")
	fs.IntVar(&cfg.Lawyers, "lawyers", 10, "spread callers over lawyers 1..N, round robin")
	fs.StringVar(&cfg.Lang, "lang", "en", "call language, en or zh (spoken questions are English)")
	fs.BoolVar(&cfg.IdleAudio, "idle-audio", true,
		"silent callers send Opus silence every 20 ms, like a browser with an open microphone")
	fs.BoolVar(&cfg.Typed, "typed", false, "talkers type their questions (ask events) instead")
	fs.BoolVar(&cfg.DecodeAll, "decode-all", false,
		"decode every video frame (default: the first second of each call)")
	fs.DurationVar(&cfg.Settle, "settle", 10*time.Second,
		"after the last caller connects, wait this long before the steady window opens")
	fs.IntVar(&cfg.FPS, "fps", 25, "the frame rate the server is expected to send")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false,
		"allow a target that is not a loopback address (load only servers you operate)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of the summary")
	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	if fs.NArg() > 0 {
		return cfg, false, usageError{fmt.Sprintf("loadtest takes no arguments, got %q", fs.Args())}
	}
	r, err := loadtest.ParseRamp(ramp)
	if err != nil {
		return cfg, false, usageError{err.Error()}
	}
	cfg.Ramp, cfg.Duration = r, duration
	if _, err := loadtest.CheckTarget(cfg.URL, cfg.AllowRemote); err != nil {
		return cfg, false, usageError{err.Error()}
	}
	return cfg, asJSON, nil
}

func runLoadtest(ctx context.Context, env *environ, args []string) error {
	cfg, asJSON, err := loadtestFlags(env, args)
	if err != nil {
		return err
	}
	cfg.Progress = func(s string) { fmt.Fprintln(env.stderr, "loadtest:", s) }
	r, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("loadtest: %w", err)
		}
	} else {
		r.WriteText(env.stdout)
	}
	if r.Joined == 0 {
		return errors.New("loadtest: no caller joined")
	}
	return nil
}
