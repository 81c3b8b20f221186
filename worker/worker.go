// Package worker runs Fayun's background jobs on River, in the server process or in a
// separate `fayun worker` process: each kind of job registers its River worker here,
// and the queue's depth is exported to Prometheus.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Client is the River client type used throughout Fayun.
type Client = river.Client[pgx.Tx]

// Config says how to build a River client.
type Config struct {
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// MaxWorkers is the number of jobs run at once in this process; 0 makes an
	// insert-only client that runs no jobs (for `fayun serve` with workers disabled).
	MaxWorkers int
	// Register adds each kind of job's worker to workers.
	Register []func(workers *river.Workers)
}

// New returns a River client. It runs jobs only when MaxWorkers > 0 and at least one
// worker is registered; call Start and Stop on it.
func New(cfg Config) (*Client, error) {
	rc := &river.Config{Logger: cfg.Log.With("component", "river")}
	if cfg.MaxWorkers > 0 && len(cfg.Register) > 0 {
		workers := river.NewWorkers()
		for _, reg := range cfg.Register {
			reg(workers)
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}}
		rc.JobTimeout = 30 * time.Minute
	}
	c, err := river.NewClient(riverpgxv5.New(cfg.Pool), rc)
	if err != nil {
		return nil, fmt.Errorf("worker: new river client: %w", err)
	}
	return c, nil
}

// Runs reports whether c was built to run jobs (not insert-only).
func Runs(cfg Config) bool { return cfg.MaxWorkers > 0 && len(cfg.Register) > 0 }

// QueueCollector exports the number of River jobs in each state.
type QueueCollector struct {
	pool *pgxpool.Pool
	desc *prometheus.Desc
}

// NewQueueCollector returns a collector that counts jobs by state at scrape time.
func NewQueueCollector(pool *pgxpool.Pool) *QueueCollector {
	return &QueueCollector{pool: pool, desc: prometheus.NewDesc("fayun_jobs",
		"River jobs by state.", []string{"state"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. When the database does not answer within a
// second, it reports nothing rather than stalling the scrape.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, "SELECT state::text, count(*) FROM river_job GROUP BY state")
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if rows.Scan(&state, &n) == nil {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
		}
	}
}
