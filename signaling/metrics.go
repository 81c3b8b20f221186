package signaling

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors. They work unregistered too.
type metrics struct {
	sockets  prometheus.Gauge
	calls    prometheus.Gauge
	detached prometheus.Gauge
	joins    *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fayun_signaling_sockets", Help: "Open call WebSockets."}),
		calls: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fayun_signaling_calls", Help: "Live calls, with or without a socket."}),
		detached: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fayun_signaling_calls_waiting_resume",
			Help: "Live calls whose socket dropped, waiting for a resume."}),
		joins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fayun_signaling_joins_total", Help: "Successful joins by kind (new, resumed)."},
			[]string{"kind"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fayun_signaling_errors_total", Help: "Error messages sent to clients by code."},
			[]string{"code"}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.sockets, m.calls, m.detached, m.joins,
		m.refusals} {
		errs = append(errs, r.Register(c))
	}
	return errors.Join(errs...)
}

func (m *metrics) refused(code Code) { m.refusals.WithLabelValues(string(code)).Inc() }
