package loadtest

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	var v []float64
	for i := 100; i >= 1; i-- {
		v = append(v, float64(i))
	}
	p := percentilesOf(v)
	if p.P50 != 50 || p.P95 != 95 || p.P99 != 99 || p.N != 100 {
		t.Errorf("1..100: %+v", p)
	}
	if v[0] != 100 {
		t.Error("percentilesOf sorted its argument in place")
	}
	if p := percentilesOf([]float64{7}); p.P50 != 7 || p.P99 != 7 {
		t.Errorf("one value: %+v", p)
	}
	if p := percentilesOf(nil); p != (Percentiles{}) {
		t.Errorf("no values: %+v", p)
	}
	if p := percentilesOf([]float64{1, 2, 3, 4}); p.P50 != 2 || p.P95 != 4 {
		t.Errorf("four values: %+v", p)
	}
}

// frames feeds a clock with n frames sent every step (90 kHz ticks) and received with
// the given extra delay per frame.
func feed(f *frameClock, t0 time.Time, ts0 uint32, steps []uint32, delay func(int) time.Duration) {
	ts := ts0
	sent := time.Duration(0)
	f.frame(ts, t0)
	for i, s := range steps {
		ts += s
		sent += time.Duration(s) * time.Second / 90000
		f.frame(ts, t0.Add(sent+delay(i)))
	}
}

func TestFrameClockSteady(t *testing.T) {
	f := newFrameClock(25)
	steps := make([]uint32, 249) // 250 frames, 10 s at 25 fps
	for i := range steps {
		steps[i] = 3600
	}
	// The timestamp wraps around in the middle of the run.
	feed(f, time.Unix(0, 0), math.MaxUint32-3600*100, steps,
		func(i int) time.Duration { return time.Duration(i%3) * 5 * time.Millisecond })
	if f.frames != 250 || f.late != 0 || f.missing != 0 {
		t.Errorf("steady stream: frames %d late %d missing %d", f.frames, f.late, f.missing)
	}
	if got := f.fps(); math.Abs(got-25) > 0.05 {
		t.Errorf("fps %g, want 25", got)
	}
	if f.lateRatio() != 0 {
		t.Errorf("late ratio %g", f.lateRatio())
	}
}

func TestFrameClockGapsAndDelays(t *testing.T) {
	f := newFrameClock(25)
	steps := make([]uint32, 99)
	for i := range steps {
		steps[i] = 3600
	}
	steps[10] = 3 * 3600 // the sender skipped two frames
	steps[20] = 5000     // sent 15.6 ms late: within half an interval, not late
	feed(f, time.Unix(0, 0), 1000, steps, func(i int) time.Duration {
		if i == 50 {
			return 100 * time.Millisecond // held 100 ms on the way
		}
		return 0
	})
	if f.frames != 100 || f.missing != 2 || f.late != 2 {
		t.Errorf("frames %d missing %d late %d; want 100, 2, 2", f.frames, f.missing, f.late)
	}
	if got, want := f.lateRatio(), 4.0/102; math.Abs(got-want) > 1e-9 {
		t.Errorf("late ratio %g, want %g", got, want)
	}
	// A retransmitted last packet and an old frame change nothing.
	before := *f
	f.frame(f.lastTS, f.last.Add(time.Millisecond))
	f.frame(f.lastTS-3600, f.last.Add(time.Millisecond))
	if f.frames != before.frames || f.late != before.late {
		t.Error("duplicate or old frame counted")
	}
}

const metricsText = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 1.234e+08
go_goroutines 42
fayun_calls_live 7
fayun_avatars_speaking 2
fayun_turn_stage_seconds_bucket{stage="first_audio",le="0.1"} 3
`

func TestParseMetrics(t *testing.T) {
	at := time.Unix(100, 0)
	s, err := parseMetrics(strings.NewReader(metricsText), at)
	if err != nil {
		t.Fatal(err)
	}
	want := serverSample{at: at, cpu: 12.5, rss: 1.234e8, live: 7, speaking: 2}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines 4\n"), at); err == nil {
		t.Error("metrics without process series accepted")
	}
	if _, err := parseMetrics(strings.NewReader("process_cpu_seconds_total x\n"), at); err == nil {
		t.Error("bad value accepted")
	}
}

func TestSummarizeServer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var samples []serverSample
	for i := range 11 {
		samples = append(samples, serverSample{at: t0.Add(time.Duration(i) * time.Second),
			cpu: float64(i) * 1.5, rss: 100e6 + float64(i)*1e6, live: float64(min(i, 5)),
			speaking: float64(i % 4)})
	}
	base := serverSample{rss: 90e6}
	st := summarizeServer(&base, samples, t0.Add(2*time.Second), t0.Add(8*time.Second))
	if math.Abs(st.CPUPercent-150) > 1e-9 {
		t.Errorf("cpu %g %%, want 150", st.CPUPercent)
	}
	if st.RSSMB != 108 || st.BaselineRSSMB != 90 || st.MaxLive != 5 || st.MaxSpeaking != 3 {
		t.Errorf("%+v", st)
	}
	if st := summarizeServer(nil, samples[:1], t0, t0.Add(time.Hour)); st.CPUPercent != 0 {
		t.Errorf("one sample gives cpu %g", st.CPUPercent)
	}
}

func TestSummarize(t *testing.T) {
	t0 := time.Unix(2000, 0)
	steady := func(fps int) *frameClock {
		f := newFrameClock(25)
		for i := range fps * 10 {
			f.frame(uint32(i*90000/fps), t0.Add(time.Duration(i)*time.Second/time.Duration(fps)))
		}
		return f
	}
	ok := callerResult{joined: true, connected: true, connectedAt: t0,
		hangupAt: t0.Add(10 * time.Second), frames: steady(25), audioPackets: 10,
		decoded: 25, turns: []float64{400, 600}, questionsSent: 2}
	slow := ok
	slow.frames = steady(20)
	slow.talker, slow.turns, slow.serverTurns = true, []float64{800}, []float64{300}
	rs := []callerResult{ok, slow,
		{joinErr: "rate_limited", frames: newFrameClock(25)},
		{joinErr: "rate_limited", frames: newFrameClock(25)},
		{joined: true, connectErr: "ice_timeout", frames: newFrameClock(25)},
		{joined: true, connected: true, connectedAt: t0, frames: newFrameClock(25)},
	}
	sc := newScraper("http://127.0.0.1:1")
	r := summarize(Config{Calls: 6, Duration: 10 * time.Second, Ramp: 10}, rs, nil, sc)
	if r.Joined != 4 || r.JoinFailures != 2 || r.JoinErrors["rate_limited"] != 2 ||
		r.Connected != 3 || r.ConnectFailures != 1 || r.Talkers != 1 {
		t.Errorf("counts: %+v", r)
	}
	if r.CallsWithoutVideo != 1 || r.CallsWithoutAudio != 1 || r.VideoFrames != 450 {
		t.Errorf("media: %+v", r)
	}
	if math.Abs(r.FramesPerSecond-20) > 0.1 || r.FPSMin != 0 {
		t.Errorf("fps p50 %g min %g; want 20 and 0 (the call without video)",
			r.FramesPerSecond, r.FPSMin)
	}
	if r.TurnLatencyMS.N != 3 || r.TurnLatencyMS.P50 != 600 || r.TurnLatencyMS.P99 != 800 {
		t.Errorf("turns %+v", r.TurnLatencyMS)
	}
	var out strings.Builder
	r.WriteText(&out)
	for _, want := range []string{"rate_limited: 2", "FAYUN_JOIN_RATE", "ice_timeout"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
