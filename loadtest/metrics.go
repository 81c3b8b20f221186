package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// serverSample is one scrape of the server's /metrics.
type serverSample struct {
	at       time.Time
	cpu      float64 // process_cpu_seconds_total
	rss      float64 // process_resident_memory_bytes
	live     float64 // fayun_calls_live
	speaking float64 // fayun_avatars_speaking
}

// metricNames are the series a sample reads; unlabelled samples only.
var metricNames = map[string]func(*serverSample, float64){
	"process_cpu_seconds_total":     func(s *serverSample, v float64) { s.cpu = v },
	"process_resident_memory_bytes": func(s *serverSample, v float64) { s.rss = v },
	"fayun_calls_live":              func(s *serverSample, v float64) { s.live = v },
	"fayun_avatars_speaking":        func(s *serverSample, v float64) { s.speaking = v },
}

// parseMetrics reads the Prometheus text exposition format and keeps the series in
// metricNames. Lines it does not need, comments and labelled series are skipped.
func parseMetrics(r io.Reader, at time.Time) (serverSample, error) {
	s := serverSample{at: at}
	found := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		set := metricNames[name]
		if !ok || set == nil {
			continue
		}
		val, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // drop a timestamp
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return s, fmt.Errorf("loadtest metrics: %s: %w", name, err)
		}
		set(&s, v)
		found++
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("loadtest metrics: %w", err)
	}
	if found == 0 {
		return s, fmt.Errorf("loadtest metrics: no process_cpu_seconds_total in /metrics")
	}
	return s, nil
}

// scraper samples /metrics once a second until stopped.
type scraper struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	samples []serverSample
	errs    int
	lastErr error
}

func newScraper(base string) *scraper {
	return &scraper{url: strings.TrimRight(base, "/") + "/metrics",
		client: &http.Client{Timeout: 5 * time.Second}}
}

func (s *scraper) scrape(ctx context.Context) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		s.fail(err)
		return
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.fail(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.fail(fmt.Errorf("loadtest metrics: %s", resp.Status))
		return
	}
	smp, err := parseMetrics(resp.Body, time.Now())
	if err != nil {
		s.fail(err)
		return
	}
	s.mu.Lock()
	s.samples = append(s.samples, smp)
	s.mu.Unlock()
}

func (s *scraper) fail(err error) {
	s.mu.Lock()
	s.errs++
	s.lastErr = err
	s.mu.Unlock()
}

// run scrapes every second until ctx ends.
func (s *scraper) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.scrape(ctx)
		}
	}
}

func (s *scraper) all() []serverSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]serverSample(nil), s.samples...)
}

// ServerStats summarises the server's samples.
type ServerStats struct {
	// CPUPercent is the server's CPU use in the steady window (all callers in their
	// call), in percent of one core (200 = both cores of a 2-core machine).
	CPUPercent float64 `json:"server_cpu_percent"`
	// RSSMB is the server's resident memory at the end of the steady window, in MB.
	RSSMB float64 `json:"server_rss_mb"`
	// BaselineRSSMB is the resident memory before the first caller joined.
	BaselineRSSMB float64 `json:"server_baseline_rss_mb"`
	// MaxSpeaking is the most avatars speaking at once that a sample saw.
	MaxSpeaking float64 `json:"server_max_speaking"`
	// MeanSpeaking is the mean of the speaking-avatars gauge over the steady window.
	MeanSpeaking float64 `json:"server_mean_speaking"`
	// MaxLive is the most live calls a sample saw.
	MaxLive float64 `json:"server_max_live"`
	// Samples is how many scrapes succeeded; ScrapeErrors how many failed.
	Samples      int    `json:"server_samples"`
	ScrapeErrors int    `json:"server_scrape_errors"`
	LastError    string `json:"server_scrape_error,omitempty"`
}

// summarizeServer computes ServerStats from samples, with baseline the sample taken
// before the run and [from, to] the steady window.
func summarizeServer(baseline *serverSample, samples []serverSample, from, to time.Time) ServerStats {
	var st ServerStats
	if baseline != nil {
		st.BaselineRSSMB = baseline.rss / 1e6
	}
	var first, last *serverSample
	var speaking float64
	n := 0
	for i := range samples {
		s := &samples[i]
		st.MaxSpeaking = max(st.MaxSpeaking, s.speaking)
		st.MaxLive = max(st.MaxLive, s.live)
		if s.at.Before(from) || s.at.After(to) {
			continue
		}
		if first == nil {
			first = s
		}
		last = s
		speaking += s.speaking
		n++
	}
	st.Samples = len(samples)
	if n > 0 {
		st.MeanSpeaking = speaking / float64(n)
	}
	if first != nil && last != nil && last.at.After(first.at) {
		st.CPUPercent = (last.cpu - first.cpu) / last.at.Sub(first.at).Seconds() * 100
		st.RSSMB = last.rss / 1e6
	}
	return st
}
