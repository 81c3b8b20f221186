package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"fayun/calls"
	"fayun/dialog/handoff"
	"fayun/internal/envflag"
	"fayun/lawyers"
	"fayun/signaling"
	"fayun/store"
	"fayun/web"
	"fayun/worker"
)

func init() {
	register("serve", "run the web server, calls and (unless disabled) background workers", runServe)
	register("worker", "run background workers only", runWorker)
}

// serveSettings are the settings of `fayun serve`.
type serveSettings struct {
	base            baseSettings
	addr            string
	migrate         bool
	workers         int
	shutdownTimeout time.Duration
	media           mediaSettings
	signaling       signaling.Settings
	calls           callSettings
	llm             *llmSettings
	handoff         *handoff.Policy
	clips           clipSettings
	speech          *speechSettings
	console         consoleSettings
}

func (s *serveSettings) register(fs *envflag.Set) {
	s.base.register(fs)
	s.media.register(fs)
	s.signaling.Register(fs)
	s.calls.register(fs)
	s.llm = registerLLMSettings(fs)
	s.handoff = registerHandoffSettings(fs)
	s.speech = registerSpeechSettings(fs)
	s.console.register(fs)
	fs.String(&s.addr, "addr", "127.0.0.1:8080", "HTTP listen address (host:port)")
	fs.Bool(&s.migrate, "migrate", true, "apply migrations and seed the roster at start")
	fs.Int(&s.workers, "workers", 2, "background jobs run at once in this process (0 = none)")
	fs.Duration(&s.shutdownTimeout, "shutdown-timeout", 15*time.Second,
		"how long to drain calls and jobs on SIGINT/SIGTERM before closing them")
	s.clips.register(fs) // last: it reuses speech settings registered before it
}

func (s *serveSettings) validate() error {
	if err := s.base.validate(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		return fmt.Errorf("FAYUN_ADDR: want host:port, got %q", s.addr)
	}
	if s.workers < 0 || s.workers > 64 {
		return fmt.Errorf("FAYUN_WORKERS: want 0 to 64, got %d", s.workers)
	}
	if s.shutdownTimeout <= 0 {
		return fmt.Errorf("FAYUN_SHUTDOWN_TIMEOUT: want a positive duration, got %s", s.shutdownTimeout)
	}
	if _, err := s.media.config(); err != nil {
		return err
	}
	if err := s.signaling.Apply(&signaling.Config{}); err != nil {
		return err
	}
	if err := s.clips.validate(); err != nil {
		return err
	}
	if err := s.console.validate(); err != nil {
		return err
	}
	return s.calls.validate()
}

func serveFlags(env *environ, args []string) (*serveSettings, error) {
	var s serveSettings
	fs := envflag.New("serve", env.lookup)
	s.register(fs)
	if err := parseArgs(fs, env, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	return &s, s.validate()
}

func runServe(ctx context.Context, env *environ, args []string) error {
	s, err := serveFlags(env, args)
	if err != nil {
		return err
	}
	log := s.base.logger(env.stderr)
	srv, err := newServer(ctx, s, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		srv.close()
		return fmt.Errorf("FAYUN_ADDR %s: %w", s.addr, err)
	}
	return srv.run(ctx, ln)
}

// server is a running fayun node: HTTP, workers and what they share.
type server struct {
	settings *serveSettings
	log      *slog.Logger
	pool     *pgxpool.Pool
	river    *worker.Client
	runsJobs bool
	jobs     *backgroundJobs
	handler  http.Handler
	// drain is called at shutdown, before the HTTP server closes, to end live calls.
	drain []func(ctx context.Context)
	// closers release what the server built, after the HTTP server has stopped.
	closers []func()
}

func newServer(ctx context.Context, s *serveSettings, log *slog.Logger) (*server, error) {
	pool, err := s.base.open(ctx, log, s.migrate)
	if err != nil {
		return nil, err
	}
	dir := lawyers.NewDirectory(pool)
	if s.migrate {
		if _, err := dir.Seed(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(
		collectors.ProcessCollectorOpts{}), store.NewPoolCollector(pool),
		worker.NewQueueCollector(pool))

	jobs, err := newBackgroundJobs(s, pool, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	wcfg := worker.Config{Pool: pool, Log: log, MaxWorkers: s.workers, Register: jobKinds(jobs)}
	rc, err := worker.New(wcfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	jobs.attach(rc)
	srv := &server{settings: s, log: log, pool: pool, river: rc, runsJobs: worker.Runs(wcfg),
		jobs: jobs}
	srv.closers = append(srv.closers, pool.Close)

	records := calls.NewRecords(pool, s.addr)
	cs := srv.buildConsole(&s.console, dir, records)
	live, err := srv.buildCalls(ctx, dir, reg, records, cs.console)
	if err != nil {
		srv.close()
		return nil, err
	}
	w, err := web.New(web.Config{
		Log: log, Directory: dir, DB: pool, Registry: reg, Calls: records,
		Articles: live.articles, Recording: s.calls.recordDir != "", Accounts: cs.accounts,
		Mount: func(mux *http.ServeMux) {
			mux.Handle("GET /ws/call", live.signaling)
			mux.Handle("GET /avatars/", avatarHandler(log))
			cs.console.Mount(mux)
		},
	})
	if err != nil {
		srv.close()
		return nil, err
	}
	if err := w.MountStudio(jobs.clips); err != nil {
		log.Warn("clip studio not mounted", "err", err)
	}
	srv.drain = append(srv.drain, func(context.Context) { jobs.clips.CloseEvents() })
	srv.handler = w.Handler()
	return srv, nil
}

// jobKinds lists the River workers this binary runs.
func jobKinds(jobs *backgroundJobs) []func(*river.Workers) {
	return []func(*river.Workers){jobs.clips.Register}
}

// run serves on ln until ctx ends, then shuts down within the configured deadline: stop
// accepting, drain calls, stop HTTP, stop workers, close the pool.
func (srv *server) run(ctx context.Context, ln net.Listener) error {
	if srv.runsJobs {
		if err := srv.river.Start(ctx); err != nil {
			srv.close()
			return fmt.Errorf("start workers: %w", err)
		}
		srv.jobs.start(ctx)
	}
	hs := &http.Server{
		Handler:           srv.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	srv.log.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "workers", srv.runsJobs,
		"version", versionString())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	srv.log.Info("shutting down", "deadline", srv.settings.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), srv.settings.shutdownTimeout)
	defer cancel()
	for _, d := range srv.drain {
		d(sctx)
	}
	if err := hs.Shutdown(sctx); err != nil {
		srv.log.Warn("http shutdown incomplete", "err", err)
		_ = hs.Close()
	}
	if srv.runsJobs {
		if err := srv.river.Stop(sctx); err != nil {
			srv.log.Warn("workers did not stop in time", "err", err)
		}
		srv.jobs.wait()
	}
	srv.close()
	srv.log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", serveErr)
	}
	return nil
}

// close releases what newServer built, last built first.
func (srv *server) close() {
	for i := len(srv.closers) - 1; i >= 0; i-- {
		srv.closers[i]()
	}
	srv.closers = nil
}

// runWorker runs background jobs only, until interrupted.
func runWorker(ctx context.Context, env *environ, args []string) error {
	s, err := serveFlags(env, args)
	if err != nil {
		return err
	}
	if s.workers == 0 {
		return fmt.Errorf("FAYUN_WORKERS is 0: a worker process needs at least one")
	}
	log := s.base.logger(env.stderr)
	pool, err := s.base.open(ctx, log, s.migrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	jobs, err := newBackgroundJobs(s, pool, log)
	if err != nil {
		return err
	}
	wcfg := worker.Config{Pool: pool, Log: log, MaxWorkers: s.workers, Register: jobKinds(jobs)}
	if !worker.Runs(wcfg) {
		return fmt.Errorf("this build has no background job kinds to run")
	}
	rc, err := worker.New(wcfg)
	if err != nil {
		return err
	}
	jobs.attach(rc)
	if err := rc.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	jobs.start(ctx)
	defer jobs.wait()
	log.InfoContext(ctx, "worker running", "workers", s.workers)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if err := rc.Stop(sctx); err != nil {
		log.Warn("workers did not stop in time", "err", err)
	}
	return nil
}
