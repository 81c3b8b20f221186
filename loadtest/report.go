package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Report is the outcome of a run. Its JSON form is the contract for scripts: at least
// calls, joined, join_failures, frames_per_second, late_frame_ratio, turn_latency_ms,
// server_cpu_percent and server_rss_mb.
type Report struct {
	Calls    int     `json:"calls"`
	Talkers  int     `json:"talkers"`
	Duration string  `json:"duration"`
	Ramp     float64 `json:"ramp_per_second"`

	Joined          int            `json:"joined"`
	JoinFailures    int            `json:"join_failures"`
	JoinErrors      map[string]int `json:"join_errors,omitempty"`
	Connected       int            `json:"connected"`
	ConnectFailures int            `json:"connect_failures"`
	ConnectErrors   map[string]int `json:"connect_errors,omitempty"`
	ServerErrors    map[string]int `json:"server_errors,omitempty"`
	EndedByServer   map[string]int `json:"ended_by_server,omitempty"`

	// FramesPerSecond is the median over connected calls of each call's mean received
	// frame rate; FPS has its spread and FPSMin the worst call.
	FramesPerSecond float64     `json:"frames_per_second"`
	FPS             Percentiles `json:"frames_per_second_dist"`
	FPSMin          float64     `json:"frames_per_second_min"`
	// LateFrameRatio is (late + missing frames) / (received + missing), over all calls.
	LateFrameRatio    float64 `json:"late_frame_ratio"`
	VideoFrames       int     `json:"video_frames"`
	LateFrames        int     `json:"late_frames"`
	MissingFrames     int     `json:"missing_frames"`
	CallsWithoutVideo int     `json:"calls_without_video"`
	DecodedFrames     int     `json:"decoded_frames"`
	DecodeErrors      int     `json:"decode_errors"`
	AudioPackets      int     `json:"audio_packets"`
	CallsWithoutAudio int     `json:"calls_without_audio"`

	// TurnLatencyMS is measured by the callers: end of their own speech (or of a typed
	// question) to the first avatar audio packet after it.
	TurnLatencyMS Percentiles `json:"turn_latency_ms"`
	// ServerFirstAudioMS is the server's own figure for the same turns (from the `turn`
	// event): its detected end of speech to its first audio packet.
	ServerFirstAudioMS Percentiles `json:"server_first_audio_ms"`
	Questions          int         `json:"questions"`
	Unanswered         int         `json:"unanswered"`

	ServerStats
	// RSSPerCallMB is (server RSS at the end of the steady window − before the run) /
	// connected calls.
	RSSPerCallMB float64 `json:"server_rss_per_call_mb"`
	// SteadySeconds is the length of the window the server's CPU figure covers: from
	// Settle after the last caller connected to the first hang-up (or, when that window is
	// under 3 s, from the first connection).
	SteadySeconds float64 `json:"steady_seconds"`

	WallSeconds      float64 `json:"wall_seconds"`
	ClientCPUPercent float64 `json:"loadtest_cpu_percent"`
	LoadAverageStart string  `json:"load_average_start"`
	LoadAverageEnd   string  `json:"load_average_end"`
}

// summarize turns the callers' results and the server's samples into a Report.
func summarize(cfg Config, rs []callerResult, baseline *serverSample, sc *scraper) *Report {
	r := &Report{Calls: cfg.Calls, Duration: cfg.Duration.String(), Ramp: cfg.Ramp,
		JoinErrors: map[string]int{}, ConnectErrors: map[string]int{},
		ServerErrors: map[string]int{}, EndedByServer: map[string]int{}}
	var fps, turns, serverTurns []float64
	var lastConnect, firstConnect, firstHangup time.Time
	for _, c := range rs {
		if c.talker {
			r.Talkers++
		}
		for _, e := range c.serverErrs {
			r.ServerErrors[e]++
		}
		if c.endReason != "" && c.endReason != "caller_hangup" {
			r.EndedByServer[c.endReason]++
		}
		if !c.joined {
			r.JoinFailures++
			r.JoinErrors[c.joinErr]++
			continue
		}
		r.Joined++
		if !c.connected {
			r.ConnectFailures++
			r.ConnectErrors[c.connectErr]++
			continue
		}
		r.Connected++
		if c.connectedAt.After(lastConnect) {
			lastConnect = c.connectedAt
		}
		if firstConnect.IsZero() || c.connectedAt.Before(firstConnect) {
			firstConnect = c.connectedAt
		}
		if !c.hangupAt.IsZero() && (firstHangup.IsZero() || c.hangupAt.Before(firstHangup)) {
			firstHangup = c.hangupAt
		}
		f := c.frames
		if f.frames == 0 {
			r.CallsWithoutVideo++
		}
		if c.audioPackets == 0 {
			r.CallsWithoutAudio++
		}
		fps = append(fps, f.fps())
		r.VideoFrames += f.frames
		r.LateFrames += f.late
		r.MissingFrames += f.missing
		r.DecodedFrames += c.decoded
		r.DecodeErrors += c.decodeErrors
		r.AudioPackets += c.audioPackets
		turns = append(turns, c.turns...)
		serverTurns = append(serverTurns, c.serverTurns...)
		r.Questions += c.questionsSent
		r.Unanswered += c.unanswered
	}
	r.FPS = percentilesOf(fps)
	r.FramesPerSecond = r.FPS.P50
	if len(fps) > 0 {
		r.FPSMin = slices.Min(fps)
	}
	if total := r.VideoFrames + r.MissingFrames; total > 0 {
		r.LateFrameRatio = float64(r.LateFrames+r.MissingFrames) / float64(total)
	}
	r.TurnLatencyMS = percentilesOf(turns)
	r.ServerFirstAudioMS = percentilesOf(serverTurns)

	// The window opens once the last caller's greeting is over (each call's avatar speaks
	// a greeting of about 5 s with its own encoder first).
	from, to := lastConnect.Add(cfg.Settle), firstHangup
	if to.Sub(from) < 3*time.Second {
		from = firstConnect
	}
	samples := sc.all()
	r.ServerStats = summarizeServer(baseline, samples, from, to)
	sc.mu.Lock()
	r.ScrapeErrors = sc.errs
	if sc.lastErr != nil {
		r.LastError = sc.lastErr.Error()
	}
	sc.mu.Unlock()
	if to.After(from) {
		r.SteadySeconds = to.Sub(from).Seconds()
	}
	if r.Connected > 0 && r.RSSMB > 0 && baseline != nil {
		r.RSSPerCallMB = (r.RSSMB - r.BaselineRSSMB) / float64(r.Connected)
	}
	for _, m := range []map[string]int{r.JoinErrors, r.ConnectErrors, r.ServerErrors,
		r.EndedByServer} {
		delete(m, "")
	}
	return r
}

// WriteText prints the report for a person.
func (r *Report) WriteText(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("calls       %d started (%d talking), %s each, ramp %.4g/s, wall %.1f s",
		r.Calls, r.Talkers, r.Duration, r.Ramp, r.WallSeconds)
	p("joined      %d   join failures %d%s", r.Joined, r.JoinFailures, counts(r.JoinErrors))
	p("connected   %d   connect failures %d%s", r.Connected, r.ConnectFailures,
		counts(r.ConnectErrors))
	if len(r.ServerErrors)+len(r.EndedByServer) > 0 {
		p("server      errors%s  ended%s", counts(r.ServerErrors), counts(r.EndedByServer))
	}
	p("video       %.1f fps p50 (worst call %.1f), late or missing %.2f %% "+
		"(%d late, %d missing of %d), %d calls without video",
		r.FramesPerSecond, r.FPSMin, r.LateFrameRatio*100, r.LateFrames, r.MissingFrames,
		r.VideoFrames, r.CallsWithoutVideo)
	p("            decoded %d frames, %d decode errors; audio %d packets, %d calls without",
		r.DecodedFrames, r.DecodeErrors, r.AudioPackets, r.CallsWithoutAudio)
	if r.Talkers > 0 {
		p("turns       %d asked, %d unanswered; end of speech → first avatar audio "+
			"p50 %.0f ms p95 %.0f ms p99 %.0f ms (n=%d)", r.Questions, r.Unanswered,
			r.TurnLatencyMS.P50, r.TurnLatencyMS.P95, r.TurnLatencyMS.P99, r.TurnLatencyMS.N)
		p("            server's own figure p50 %.0f ms p95 %.0f ms p99 %.0f ms (n=%d)",
			r.ServerFirstAudioMS.P50, r.ServerFirstAudioMS.P95, r.ServerFirstAudioMS.P99,
			r.ServerFirstAudioMS.N)
	}
	p("server      CPU %.0f %% of one core over %.0f s steady, RSS %.0f MB (%.0f MB before, "+
		"%.2f MB per call), max %0.f live, speaking %.1f mean %.0f max", r.CPUPercent,
		r.SteadySeconds, r.RSSMB, r.BaselineRSSMB, r.RSSPerCallMB, r.MaxLive, r.MeanSpeaking,
		r.MaxSpeaking)
	if r.ScrapeErrors > 0 {
		p("            %d /metrics scrapes failed: %s", r.ScrapeErrors, r.LastError)
	}
	p("machine     load tool CPU %.0f %% of one core; load average %s → %s",
		r.ClientCPUPercent, r.LoadAverageStart, r.LoadAverageEnd)
	if r.JoinErrors["rate_limited"]+r.JoinErrors["too_many_sockets"] > 0 {
		p("note        the server refused joins by its per-address limits: raise " +
			"FAYUN_JOIN_RATE, FAYUN_JOIN_BURST and FAYUN_WS_MAX_PER_IP for load runs")
	}
	if r.JoinErrors["over_capacity"] > 0 {
		p("note        over_capacity: admission control (FAYUN_MAX_CALLS, FAYUN_MAX_SPEAKING, " +
			"FAYUN_MAX_CPU) refused calls")
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", k, m[k])
	}
	b.WriteString(")")
	return b.String()
}
