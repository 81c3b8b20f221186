package clips

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"fayun/avatars"
	"fayun/dialog/tts"
)

// Config says how clips are stored and rendered.
type Config struct {
	Pool    *pgxpool.Pool
	Log     *slog.Logger // nil discards
	Lawyers LawyerGetter
	// Speech is the text-to-speech engine; nil means eSpeak NG.
	Speech tts.Synthesizer
	// Dir is the storage directory of finished files (FAYUN_CLIP_DIR, default var/clips).
	Dir string
	// FFmpeg is the ffmpeg executable (FAYUN_FFMPEG, default "ffmpeg" on PATH).
	FFmpeg string
	// Timeout limits one render attempt (FAYUN_CLIP_TIMEOUT, default 20 minutes).
	Timeout time.Duration
	// MaxAttempts bounds the attempts of a clip, counting attempts lost with their
	// worker (FAYUN_CLIP_ATTEMPTS, default 3).
	MaxAttempts int
	// Lease is how long a worker may go without renewing its claim on a clip before
	// the clip is queued again (FAYUN_CLIP_LEASE, default 15 s). It is renewed every
	// third of that.
	Lease time.Duration
}

// New returns the clip service. Attach the River client with SetQueue before use.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil || cfg.Lawyers == nil {
		return nil, errors.New("clips: config needs Pool and Lawyers")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Speech == nil {
		cfg.Speech = tts.ESpeak{}
	}
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join("var", "clips")
	}
	if cfg.FFmpeg == "" {
		cfg.FFmpeg = "ffmpeg"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 15 * time.Second
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("clips: storage directory: %w", err)
	}
	cfg.Dir = dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("clips: storage directory: %w", err)
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	node := fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	return &Service{cfg: cfg, pool: cfg.Pool, node: node}, nil
}

// RenderArgs is the River job that renders one clip.
type RenderArgs struct {
	ClipID int64 `json:"clip_id"`
}

// Kind implements river.JobArgs.
func (RenderArgs) Kind() string { return "clip_render" }

// Register adds the clip render worker to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &renderWorker{s: s})
}

type renderWorker struct {
	river.WorkerDefaults[RenderArgs]
	s *Service
}

// Timeout limits one attempt.
func (w *renderWorker) Timeout(*river.Job[RenderArgs]) time.Duration { return w.s.cfg.Timeout }

// NextRetry waits 5 s, 20 s, 80 s, … (at most 10 minutes) between attempts.
func (w *renderWorker) NextRetry(job *river.Job[RenderArgs]) time.Time {
	d := 5 * time.Second
	for i := 1; i < job.Attempt && d < 10*time.Minute; i++ {
		d *= 4
	}
	return time.Now().Add(min(d, 10*time.Minute))
}

// Errors that end an attempt from the inside.
var (
	errCancelled = errors.New("clip cancelled")
	errLostLease = errors.New("lease on the clip lost to another worker")
)

// Work renders the clip unless it is finished, cancelled or held by a live worker.
func (w *renderWorker) Work(ctx context.Context, job *river.Job[RenderArgs]) error {
	s := w.s
	log := s.cfg.Log.With("clip_id", job.Args.ClipID, "job_id", job.ID, "attempt", job.Attempt)
	a, c, err := s.claim(ctx, job)
	if err != nil {
		return err
	}
	switch {
	case a == nil && c.Status.Final():
		log.InfoContext(ctx, "clip already finished", "status", c.Status)
		return nil // a retried or recovered job never touches a finished clip
	case a == nil:
		return river.JobSnooze(s.cfg.Lease) // a live worker holds it
	case c.Attempts > s.cfg.MaxAttempts:
		reason := fmt.Sprintf("gave up after %d attempts", s.cfg.MaxAttempts)
		if c.Error != "" {
			reason += ": " + c.Error
		}
		s.fail(context.WithoutCancel(ctx), a, reason)
		return river.JobCancel(errors.New(reason))
	}
	log.InfoContext(ctx, "clip render started", "lawyer_id", c.LawyerID, "size", c.Size.String())
	start := time.Now()
	err = a.run(ctx, c)
	if err == nil {
		log.InfoContext(ctx, "clip render done", "elapsed", time.Since(start).Round(time.Millisecond))
		return nil
	}
	bg := context.WithoutCancel(ctx)
	switch {
	case errors.Is(err, errCancelled):
		log.InfoContext(ctx, "clip render cancelled")
		return river.JobCancel(err)
	case errors.Is(err, errLostLease):
		log.WarnContext(ctx, "clip render abandoned", "err", err)
		return nil // another job owns the clip now
	case isPermanent(err):
		log.WarnContext(ctx, "clip render failed", "err", err)
		s.fail(bg, a, err.Error())
		return river.JobCancel(err)
	case job.Attempt >= job.MaxAttempts || c.Attempts >= s.cfg.MaxAttempts:
		log.WarnContext(ctx, "clip render failed, no attempts left", "err", err)
		s.fail(bg, a, err.Error())
		return river.JobCancel(err)
	}
	log.WarnContext(ctx, "clip render attempt failed", "err", err)
	s.release(bg, a, fmt.Sprintf("attempt %d failed (%v); retrying", c.Attempts, err))
	return err
}

// attempt is one worker's lease on a clip.
type attempt struct {
	s     *Service
	id    int64
	token string

	mu       sync.Mutex
	lastPct  int
	lastSave time.Time
}

// claim takes the lease on the job's clip. It returns a nil attempt with the clip
// when the clip is finished or another worker holds a live lease.
func (s *Service) claim(ctx context.Context, job *river.Job[RenderArgs]) (*attempt, Clip, error) {
	id := job.Args.ClipID
	token := fmt.Sprintf("%s/job%d/%d", s.node, job.ID, job.Attempt)
	row := s.pool.QueryRow(ctx, `UPDATE clips SET attempts = attempts + 1, lease_owner = $2,
		lease_until = now() + make_interval(secs => $3), status = 'synthesising', progress = 0,
		updated_at = now()
		WHERE id = $1 AND status IN ('queued', 'synthesising', 'rendering', 'encoding')
		AND (lease_until IS NULL OR lease_until < now()) RETURNING `+clipColumns,
		id, token, s.cfg.Lease.Seconds())
	c, err := scanClip(row)
	if errors.Is(err, pgx.ErrNoRows) {
		c, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, Clip{Status: Cancelled}, nil // deleted: nothing to do
		}
		return nil, c, err
	}
	if err != nil {
		return nil, Clip{}, fmt.Errorf("clips: claim %d: %w", id, err)
	}
	_, _ = s.pool.Exec(ctx, "SELECT pg_notify($1, $2::bigint::text)", Channel, id)
	return &attempt{s: s, id: id, token: token, lastPct: -1}, c, nil
}

// run renders c under the lease, renewing it until the render ends.
func (a *attempt) run(ctx context.Context, c Clip) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.keep(ctx, cancel)
	}()
	err := a.s.render(ctx, a, c)
	cancel(nil)
	wg.Wait()
	if cause := context.Cause(ctx); err != nil && (errors.Is(cause, errCancelled) ||
		errors.Is(cause, errLostLease)) {
		return cause
	}
	return err
}

// keep renews the lease every third of its length and cancels the render when the
// clip was cancelled or the lease was taken over.
func (a *attempt) keep(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(a.s.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var status Status
		var owner *string
		err := a.s.pool.QueryRow(ctx, `UPDATE clips SET lease_until = CASE WHEN lease_owner = $2
			AND status IN ('queued', 'synthesising', 'rendering', 'encoding')
			THEN now() + make_interval(secs => $3) ELSE lease_until END
			WHERE id = $1 RETURNING status, lease_owner`, a.id, a.token,
			a.s.cfg.Lease.Seconds()).Scan(&status, &owner)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, pgx.ErrNoRows), err == nil && status == Cancelled:
			cancel(errCancelled)
			return
		case err != nil:
			a.s.cfg.Log.WarnContext(ctx, "clip lease renewal failed", "clip_id", a.id, "err", err)
		case owner == nil || *owner != a.token || status.Final():
			cancel(errLostLease)
			return
		}
	}
}

// progress records the stage and percentage, at most every 250 ms unless the stage
// changes, and announces it.
func (a *attempt) progress(ctx context.Context, st Status, pct int, force bool) {
	a.mu.Lock()
	if !force && (pct == a.lastPct || time.Since(a.lastSave) < 250*time.Millisecond) {
		a.mu.Unlock()
		return
	}
	a.lastPct, a.lastSave = pct, time.Now()
	a.mu.Unlock()
	_, err := a.s.pool.Exec(ctx, `WITH u AS (UPDATE clips SET status = $3, progress = $4,
		updated_at = now() WHERE id = $1 AND lease_owner = $2 AND status NOT IN
		('done', 'failed', 'cancelled') RETURNING id)
		SELECT pg_notify($5, id::text) FROM u`, a.id, a.token, st, pct, Channel)
	if err != nil && ctx.Err() == nil {
		a.s.cfg.Log.WarnContext(ctx, "clip progress not saved", "clip_id", a.id, "err", err)
	}
}

// release gives the lease up after a failed attempt that will be retried.
func (s *Service) release(ctx context.Context, a *attempt, reason string) {
	_, err := s.pool.Exec(ctx, `WITH u AS (UPDATE clips SET status = 'queued', progress = 0,
		error = $3, lease_owner = NULL, lease_until = NULL, updated_at = now()
		WHERE id = $1 AND lease_owner = $2 AND status NOT IN ('done', 'failed', 'cancelled')
		RETURNING id) SELECT pg_notify($4, id::text) FROM u`, a.id, a.token, reason, Channel)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "clip release failed", "clip_id", a.id, "err", err)
	}
}

// fail marks the clip failed with reason.
func (s *Service) fail(ctx context.Context, a *attempt, reason string) {
	_, err := s.pool.Exec(ctx, `WITH u AS (UPDATE clips SET status = 'failed', error = $3,
		lease_owner = NULL, lease_until = NULL, updated_at = now(), finished_at = now()
		WHERE id = $1 AND lease_owner = $2 AND status NOT IN ('done', 'failed', 'cancelled')
		RETURNING id) SELECT pg_notify($4, id::text) FROM u`, a.id, a.token, reason, Channel)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "clip failure not recorded", "clip_id", a.id, "err", err)
	}
}

// render produces the clip's files under the lease held by a.
func (s *Service) render(ctx context.Context, a *attempt, c Clip) error {
	s.removeLeftovers(c.ID)
	l, err := checkLawyer(ctx, s.cfg.Lawyers, c.LawyerID)
	if err != nil {
		return err
	}
	sentences := Sentences(c.Script)
	if len(sentences) == 0 {
		return permanent(fmt.Errorf("the script has nothing to say"))
	}
	voice := Voice(l, c.Lang, c.Speed, c.Pitch)
	a.progress(ctx, Synthesising, 0, true)
	t, err := synthesise(ctx, s.cfg.Speech, sentences, voice, func(i int) {
		a.progress(ctx, Synthesising, 10*(i+1)/len(sentences), false)
	})
	if err != nil {
		return err
	}
	av, err := avatars.New(persona(l), avatars.Options{Logger: s.cfg.Log})
	if err != nil {
		return permanent(err)
	}
	r, err := av.NewRenderer(c.Size.W, c.Size.H)
	if err != nil {
		return permanent(err)
	}
	tmp := fmt.Sprintf(".clip-%d-%s", c.ID, randomHex(4))
	job := encodeJob{ffmpeg: s.cfg.FFmpeg, size: c.Size, outputs: map[Format]string{}}
	for _, f := range c.Formats {
		job.outputs[f] = filepath.Join(s.cfg.Dir, tmp+"."+string(f)+".part")
	}
	defer func() {
		for _, p := range job.outputs {
			_ = os.Remove(p)
		}
	}()
	if c.Subtitles || c.Title != "" {
		cues := t.cues
		if !c.Subtitles {
			cues = nil
		}
		job.ass = filepath.Join(s.cfg.Dir, tmp+".ass.part")
		defer os.Remove(job.ass)
		subs := ASS(c.Size, cues, c.Title, t.duration())
		if err := os.WriteFile(job.ass, []byte(subs), 0o644); err != nil {
			return fmt.Errorf("write subtitles: %w", err)
		}
	}
	a.progress(ctx, Rendering, 10, true)
	err = encode(ctx, job, t, frameDrawer(r, t, c.Size), func(n int) {
		pct := 10 + 85*n/t.frames
		if n == t.frames {
			a.progress(ctx, Encoding, 95, true)
			return
		}
		a.progress(ctx, Rendering, pct, false)
	})
	if err != nil {
		return err
	}
	return s.publish(ctx, a, c, job.outputs, t.duration())
}

// publish gives each temporary output its final content-addressed name and marks the
// clip done with its files, in that order, so a done clip always has its files and a
// finished file is never overwritten (names are linked, never renamed over).
func (s *Service) publish(ctx context.Context, a *attempt, c Clip, outputs map[Format]string,
	d time.Duration) error {
	var files []File
	var created []string
	cleanup := func() {
		for _, p := range created {
			_ = os.Remove(p)
		}
	}
	for _, f := range c.Formats {
		file, fresh, err := s.place(c.ID, f, outputs[f])
		if err != nil {
			cleanup()
			return err
		}
		files = append(files, file)
		if fresh {
			created = append(created, s.Path(file))
		}
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		cleanup()
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE clips SET status = 'done', progress = 100, error = '',
			duration_ms = $3, lease_owner = NULL, lease_until = NULL, updated_at = now(),
			finished_at = now() WHERE id = $1 AND lease_owner = $2
			AND status NOT IN ('done', 'failed', 'cancelled')`, c.ID, a.token, d.Milliseconds())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLostLease
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO clip_files (clip_id, format, name, bytes, sha256)
				VALUES ($1, $2, $3, $4, $5)`, c.ID, f.Format, f.Name, f.Bytes, f.SHA256); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "SELECT pg_notify($1, $2::bigint::text)", Channel, c.ID)
		return err
	})
	if err != nil {
		cleanup()
		if errors.Is(err, errLostLease) {
			if cur, gerr := s.Get(context.WithoutCancel(ctx), c.ID); gerr == nil && cur.Status == Cancelled {
				return errCancelled
			}
			return errLostLease
		}
		return fmt.Errorf("record files: %w", err)
	}
	return nil
}

// place hashes the finished temporary file and links it to its final name
// clip-ID-HASH.EXT. fresh is false when a file of that name (the same content)
// already existed.
func (s *Service) place(id int64, f Format, tmp string) (File, bool, error) {
	fh, err := os.Open(tmp)
	if err != nil {
		return File{}, false, fmt.Errorf("open output: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err == nil {
		err = fh.Sync()
	}
	fh.Close()
	if err != nil {
		return File{}, false, fmt.Errorf("hash output: %w", err)
	}
	if n == 0 {
		return File{}, false, fmt.Errorf("ffmpeg wrote an empty %s file", f)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	file := File{Format: f, Name: fmt.Sprintf("clip-%d-%s.%s", id, sum[:16], f), Bytes: n, SHA256: sum}
	err = os.Link(tmp, s.Path(file))
	if errors.Is(err, os.ErrExist) {
		return file, false, nil
	}
	if err != nil {
		return File{}, false, fmt.Errorf("publish output: %w", err)
	}
	return file, true, nil
}

// removeLeftovers deletes what an earlier, interrupted attempt on clip id left: its
// temporary files and any finished-looking file not recorded on the (unfinished) row.
// Only the lease holder calls it, so no other attempt is writing these files.
func (s *Service) removeLeftovers(id int64) {
	for _, pat := range []string{fmt.Sprintf(".clip-%d-*", id), fmt.Sprintf("clip-%d-*", id)} {
		matches, _ := filepath.Glob(filepath.Join(s.cfg.Dir, pat))
		for _, m := range matches {
			if err := os.Remove(m); err == nil {
				s.cfg.Log.Info("removed leftover clip file", "clip_id", id, "file", filepath.Base(m))
			}
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync storage directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync storage directory: %w", err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Run sweeps, until ctx ends, for clips whose worker stopped renewing its lease (the
// process was killed or lost the database) and queues each again with a new job. Run
// it in every process that runs workers.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(max(s.cfg.Lease/2, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.WarnContext(ctx, "clip sweep failed", "err", err)
		} else if n > 0 {
			s.cfg.Log.InfoContext(ctx, "clips requeued after lost worker", "count", n)
		}
	}
}

// Sweep queues again every unfinished clip whose lease has expired, each with a new
// job in the same transaction that releases the lease, and returns how many.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if s.queue == nil {
		return 0, ErrNoQueue
	}
	n := 0
	for n < 100 {
		swept := false
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			row := tx.QueryRow(ctx, `UPDATE clips SET status = 'queued', progress = 0,
				lease_owner = NULL, lease_until = NULL, updated_at = now(),
				error = 'the worker stopped during attempt ' || attempts || '; queued again'
				WHERE id = (SELECT id FROM clips WHERE lease_until < now()
					AND status IN ('queued', 'synthesising', 'rendering', 'encoding')
					ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED)
				RETURNING `+clipColumns)
			c, err := scanClip(row)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			swept = true
			return s.insertJob(ctx, tx, &c)
		})
		if err != nil {
			return n, fmt.Errorf("clips: sweep: %w", err)
		}
		if !swept {
			return n, nil
		}
		n++
	}
	return n, nil
}

// Wait follows clip id until it is finished, calling each with every new state (at
// least once). It listens on Channel and also polls every second, so it works across
// processes and survives lost notifications; while the database is unreachable it keeps
// trying until ctx ends.
func (s *Service) Wait(ctx context.Context, id int64, each func(Clip)) (Clip, error) {
	var last Clip
	first := true
	for {
		done, err := s.waitConn(ctx, id, func(c Clip) {
			if first || c.Status != last.Status || c.Progress != last.Progress || c.Error != last.Error {
				each(c)
				first = false
			}
			last = c
		})
		switch {
		case done:
			return last, nil
		case errors.Is(err, ErrNotFound):
			return last, err
		case ctx.Err() != nil:
			return last, ctx.Err()
		}
		s.cfg.Log.WarnContext(ctx, "waiting for clip: database trouble, retrying",
			"clip_id", id, "err", err)
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// waitConn follows the clip on one listening connection until the clip is finished
// (done) or something fails.
func (s *Service) waitConn(ctx context.Context, id int64, seen func(Clip)) (done bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("clips: wait: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return false, fmt.Errorf("clips: wait: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+Channel)
	}()
	for {
		c, err := s.Get(ctx, id)
		if err != nil {
			return false, err
		}
		seen(c)
		if c.Status.Final() {
			return true, nil
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = conn.Conn().WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return false, fmt.Errorf("clips: wait: %w", err)
		}
	}
}
