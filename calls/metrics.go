package calls

import (
	"github.com/prometheus/client_golang/prometheus"

	"fayun/dialog"
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
