package loadtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"fayun/media"
	"fayun/media/opus"
)

// Run starts cfg.Calls callers against cfg.URL at cfg.Ramp per second, lets each hold
// its call for cfg.Duration, hangs them all up and reports. It stops by itself: the
// whole run is bounded by the ramp time plus the duration plus one minute, and ctx
// cancels it earlier.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	wsURL, err := CheckTarget(cfg.URL, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	sp, err := prepareSpeech(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	api, err := media.NewAPI(media.Config{LoopbackOnly: isLoopbackHost(u.Hostname())})
	if err != nil {
		return nil, err
	}

	sc := newScraper(cfg.URL)
	sc.scrape(ctx)
	var baseline *serverSample
	if s := sc.all(); len(s) > 0 {
		baseline = &s[0]
	}
	rampTime := startOffset(cfg.Calls-1, cfg.Ramp)
	ctx, cancel := context.WithTimeout(ctx, rampTime+cfg.Duration+time.Minute)
	defer cancel()
	sctx, stopScrape := context.WithCancel(ctx)
	var swg sync.WaitGroup
	swg.Add(1)
	go func() { defer swg.Done(); sc.run(sctx) }()

	load0, cpu0, began := loadAverage(), selfCPU(), time.Now()
	callers := make([]*caller, cfg.Calls)
	var wg sync.WaitGroup
	progress := time.Now()
	for i := range callers {
		if !sleepUntil(ctx, began.Add(startOffset(i, cfg.Ramp))) {
			callers = callers[:i]
			break
		}
		c := newCaller(&cfg, sp, wsURL, api, i)
		callers[i] = c
		wg.Add(1)
		go func() { defer wg.Done(); c.run(ctx) }()
		if cfg.Progress != nil && time.Since(progress) >= 5*time.Second {
			progress = time.Now()
			cfg.Progress(fmt.Sprintf("started %d/%d callers", i+1, cfg.Calls))
		}
	}
	if cfg.Progress != nil {
		cfg.Progress(fmt.Sprintf("all %d callers started; holding calls for %s",
			len(callers), cfg.Duration))
	}
	wg.Wait()
	sc.scrape(context.WithoutCancel(ctx))
	stopScrape()
	swg.Wait()

	results := make([]callerResult, len(callers))
	for i, c := range callers {
		results[i] = c.result()
	}
	r := summarize(cfg, results, baseline, sc)
	r.WallSeconds = time.Since(began).Seconds()
	r.ClientCPUPercent = (selfCPU() - cpu0).Seconds() / r.WallSeconds * 100
	r.LoadAverageStart, r.LoadAverageEnd = load0, loadAverage()
	return r, nil
}

// prepareSpeech returns the microphone audio the callers need: question speech for
// talkers (unless typed) and one packet of silence.
func prepareSpeech(ctx context.Context, cfg *Config) (*Speech, error) {
	if cfg.Speech != nil {
		return cfg.Speech, nil
	}
	anyTalker := cfg.Talkers > 0 && int(cfg.Talkers*float64(cfg.Calls)+0.5) > 0
	if anyTalker && !cfg.Typed {
		return SpeakQuestions(ctx, Questions)
	}
	enc, err := opus.NewEncoder(opus.EncoderConfig{})
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	defer enc.Close()
	silence, err := encodeFrames(enc, make([]int16, opus.FrameSamples))
	if err != nil {
		return nil, err
	}
	return &Speech{Silence: silence, Texts: Questions}, nil
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// selfCPU is the CPU time (user + system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the machine's 1, 5 and 15 minute load average, from /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
