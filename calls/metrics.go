package calls

import (
	"github.com/prometheus/client_golang/prometheus"

	"fayun/dialog"
	"fayun/media"
)

// Metrics are the Prometheus series of the calls of a node.
type Metrics struct {
	started, ended, refused prometheus.Counter
	stages                  *prometheus.HistogramVec
	interrupted             prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fayun_calls_started_total", Help: "Calls started on this node."}),
		ended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fayun_calls_ended_total", Help: "Calls ended on this node."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fayun_calls_refused_total", Help: "Calls refused by admission control."}),
		interrupted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fayun_turns_interrupted_total", Help: "Replies cut short by the caller."}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fayun_turn_stage_seconds",
			Help: "Time from the end of the caller's speech (or a typed question) to each " +
				"stage of the turn: transcript, first_sentence, first_audio.",
			Buckets: []float64{.005, .01, .02, .05, .1, .2, .3, .5, .8, 1.2, 2, 3, 5, 8},
		}, []string{"stage"}),
	}
}

func (m *Metrics) observeTurn(t dialog.Turn) {
	for stage, d := range map[string]interface{ Seconds() float64 }{
		"transcript": t.Transcript, "first_sentence": t.FirstSentence, "first_audio": t.FirstAudio,
	} {
		if d.Seconds() > 0 {
			m.stages.WithLabelValues(stage).Observe(d.Seconds())
		}
	}
	if t.Interrupted {
		m.interrupted.Inc()
	}
}

// Register adds the host's metrics, and gauges of its live state, to reg.
func (h *Host) Register(reg prometheus.Registerer) error {
	m := h.metrics
	for _, c := range []prometheus.Collector{m.started, m.ended, m.refused, m.interrupted, m.stages,
		newVideoCollector(h),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fayun_calls_live",
			Help: "Calls in progress on this node."}, func() float64 { return float64(h.Live()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fayun_avatars_speaking",
			Help: "Calls whose avatar video is encoded for them alone (thinking or speaking)."},
			func() float64 { return float64(h.Speaking()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fayun_idle_streams",
			Help: "Shared idle video streams running."},
			func() float64 { return float64(h.faces.IdleStreams()) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// videoTotals adds up the video senders' counters of ended calls, so that the exported
// totals never go backwards when a call ends.
type videoTotals struct {
	idleFrames, speakingFrames, keyframes uint64
	encode                                float64 // seconds
}

func (v *videoTotals) add(s media.VideoSenderStats) {
	v.idleFrames += s.IdleFrames
	v.speakingFrames += s.SpeakingFrames
	v.keyframes += s.Keyframes
	v.encode += s.EncodeTime.Seconds()
}

// videoCollector exports the avatars' video counters: frames by source, keyframes, and
// the time spent drawing and encoding speaking frames (divide its rate by the speaking
// frames' rate for the cost of one frame).
type videoCollector struct {
	h                           *Host
	frames, keyframes, encoding *prometheus.Desc
}

func newVideoCollector(h *Host) *videoCollector {
	return &videoCollector{h: h,
		frames: prometheus.NewDesc("fayun_video_frames_total",
			"Avatar video frames sent, by source (the shared idle stream or the call's own encoder).",
			[]string{"source"}, nil),
		keyframes: prometheus.NewDesc("fayun_video_keyframes_total",
			"Avatar video keyframes sent.", nil, nil),
		encoding: prometheus.NewDesc("fayun_video_encode_seconds_total",
			"Time spent drawing and encoding speaking avatars' frames.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *videoCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.frames
	ch <- c.keyframes
	ch <- c.encoding
}

// Collect implements prometheus.Collector.
func (c *videoCollector) Collect(ch chan<- prometheus.Metric) {
	c.h.mu.Lock()
	t := c.h.ended
	for _, call := range c.h.calls {
		t.add(call.video.Stats())
	}
	c.h.mu.Unlock()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	counter(c.frames, float64(t.idleFrames), "idle")
	counter(c.frames, float64(t.speakingFrames), "speaking")
	counter(c.keyframes, float64(t.keyframes))
	counter(c.encoding, t.encode)
}
