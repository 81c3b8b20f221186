package clips

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"fayun/worker"
)

// Channel is the Postgres NOTIFY channel on which every change of a clip row is
// announced; the payload is the clip id in decimal.
const Channel = "fayun_clips"

// ErrNotFound is returned for a clip id that does not exist (or is not the caller's).
var ErrNotFound = errors.New("clips: clip not found")

// ErrState is returned when a clip is not in a state that allows the operation, for
// example retrying a clip that is still rendering.
var ErrState = errors.New("clips: not possible in the clip's current state")

// ErrNoQueue is returned by operations that insert jobs before SetQueue was called.
var ErrNoQueue = errors.New("clips: no job queue attached")

// Clip is one row of the clips table with its files.
type Clip struct {
	ID         int64      `json:"id"`
	Owner      string     `json:"-"`
	LawyerID   int        `json:"lawyer_id"`
	Lang       string     `json:"lang"`
	Script     string     `json:"script"`
	Title      string     `json:"title"`
	Subtitles  bool       `json:"subtitles"`
	Size       Size       `json:"-"`
	Formats    []Format   `json:"formats"`
	Speed      float64    `json:"speed"`
	Pitch      int        `json:"pitch"`
	Status     Status     `json:"status"`
	Progress   int        `json:"progress"` // percent
	Error      string     `json:"error,omitempty"`
	JobID      int64      `json:"-"`
	Attempts   int        `json:"attempts"`
	DurationMS int        `json:"duration_ms,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Files      []File     `json:"files"`
}

// File is one finished output of a clip. Name is relative to the storage directory.
type File struct {
	Format Format `json:"format"`
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// File returns the clip's file of format f.
func (c Clip) File(f Format) (File, bool) {
	for _, x := range c.Files {
		if x.Format == f {
			return x, true
		}
	}
	return File{}, false
}

const clipColumns = `id, owner, lawyer_id, lang, script, title, subtitles, width, height,
	formats, speed, pitch, status, progress, error, coalesce(job_id, 0), attempts,
	coalesce(duration_ms, 0), created_at, updated_at, finished_at`

func scanClip(row pgx.Row) (Clip, error) {
	var c Clip
	var formats []string
	var speed float32
	err := row.Scan(&c.ID, &c.Owner, &c.LawyerID, &c.Lang, &c.Script, &c.Title, &c.Subtitles,
		&c.Size.W, &c.Size.H, &formats, &speed, &c.Pitch, &c.Status, &c.Progress, &c.Error,
		&c.JobID, &c.Attempts, &c.DurationMS, &c.CreatedAt, &c.UpdatedAt, &c.FinishedAt)
	if err != nil {
		return c, err
	}
	c.Speed = float64(speed)
	for _, f := range formats {
		c.Formats = append(c.Formats, Format(f))
	}
	c.Files = []File{}
	return c, nil
}

// Service is the clip studio's back end: it queues clips, reads and changes them,
// runs their render jobs and sweeps clips whose worker died.
type Service struct {
	cfg   Config
	pool  *pgxpool.Pool
	queue *worker.Client
	node  string
	hub   hub
}

// SetQueue attaches the River client used to insert jobs (Queue, Retry, the sweeper)
// and cancel them. Call it once, before the client starts.
func (s *Service) SetQueue(c *worker.Client) { s.queue = c }

// Dir returns the storage directory of finished files.
func (s *Service) Dir() string { return s.cfg.Dir }

// Path returns the absolute path of a finished file.
func (s *Service) Path(f File) string { return filepath.Join(s.cfg.Dir, f.Name) }

// Queue checks req, then inserts the clip row and its render job in one transaction.
// A refused request returns an error wrapping ErrInvalid and queues nothing.
func (s *Service) Queue(ctx context.Context, req Request) (Clip, error) {
	if err := req.Normalize(); err != nil {
		return Clip{}, err
	}
	if _, err := checkLawyer(ctx, s.cfg.Lawyers, req.LawyerID); err != nil {
		return Clip{}, err
	}
	if s.queue == nil {
		return Clip{}, ErrNoQueue
	}
	formats := make([]string, len(req.Formats))
	for i, f := range req.Formats {
		formats[i] = string(f)
	}
	var c Clip
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `INSERT INTO clips (owner, lawyer_id, lang, script, title,
			subtitles, width, height, formats, speed, pitch)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+clipColumns,
			req.Owner, req.LawyerID, req.Lang, req.Script, req.Title, req.Subtitles,
			req.Size.W, req.Size.H, formats, req.Speed, req.Pitch)
		var err error
		if c, err = scanClip(row); err != nil {
			return fmt.Errorf("insert clip: %w", err)
		}
		return s.insertJob(ctx, tx, &c)
	})
	if err != nil {
		return Clip{}, fmt.Errorf("clips: queue: %w", err)
	}
	return c, nil
}

// insertJob inserts the render job of c within tx and records its id on the row.
func (s *Service) insertJob(ctx context.Context, tx pgx.Tx, c *Clip) error {
	res, err := s.queue.InsertTx(ctx, tx, RenderArgs{ClipID: c.ID},
		&river.InsertOpts{MaxAttempts: s.cfg.MaxAttempts})
	if err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	c.JobID = res.Job.ID
	_, err = tx.Exec(ctx, "UPDATE clips SET job_id = $2 WHERE id = $1", c.ID, c.JobID)
	if err != nil {
		return fmt.Errorf("record job: %w", err)
	}
	_, err = tx.Exec(ctx, "SELECT pg_notify($1, $2::bigint::text)", Channel, c.ID)
	return err
}

// Get returns clip id with its files, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Clip, error) {
	c, err := scanClip(s.pool.QueryRow(ctx, "SELECT "+clipColumns+" FROM clips WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Clip{}, ErrNotFound
	}
	if err != nil {
		return Clip{}, fmt.Errorf("clips: get %d: %w", id, err)
	}
	files, err := s.files(ctx, []int64{id})
	if err != nil {
		return Clip{}, err
	}
	c.Files = append(c.Files, files[id]...)
	return c, nil
}

// List returns the newest clips of owner (all owners when owner is "*"), at most limit.
func (s *Service) List(ctx context.Context, owner string, limit int) ([]Clip, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+clipColumns+` FROM clips
		WHERE owner = $1 OR $1 = '*' ORDER BY created_at DESC, id DESC LIMIT $2`, owner, limit)
	if err != nil {
		return nil, fmt.Errorf("clips: list: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Clip, error) { return scanClip(r) })
	if err != nil {
		return nil, fmt.Errorf("clips: list: %w", err)
	}
	ids := make([]int64, len(out))
	for i, c := range out {
		ids[i] = c.ID
	}
	files, err := s.files(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Files = append(out[i].Files, files[out[i].ID]...)
	}
	return out, nil
}

func (s *Service) files(ctx context.Context, ids []int64) (map[int64][]File, error) {
	rows, err := s.pool.Query(ctx, `SELECT clip_id, format, name, bytes, sha256 FROM clip_files
		WHERE clip_id = ANY($1) ORDER BY format`, ids)
	if err != nil {
		return nil, fmt.Errorf("clips: files: %w", err)
	}
	defer rows.Close()
	out := map[int64][]File{}
	for rows.Next() {
		var id int64
		var f File
		if err := rows.Scan(&id, &f.Format, &f.Name, &f.Bytes, &f.SHA256); err != nil {
			return nil, fmt.Errorf("clips: files: %w", err)
		}
		out[id] = append(out[id], f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clips: files: %w", err)
	}
	return out, nil
}

// Cancel stops an unfinished clip: the row is marked cancelled at once, and the
// worker rendering it (in any process) kills ffmpeg and removes its temporary files
// within one lease renewal. Cancelling a finished clip returns ErrState.
func (s *Service) Cancel(ctx context.Context, id int64) error {
	var jobID int64
	err := s.pool.QueryRow(ctx, `UPDATE clips SET status = 'cancelled', error = 'cancelled',
		updated_at = now(), finished_at = now()
		WHERE id = $1 AND status IN ('queued', 'synthesising', 'rendering', 'encoding')
		RETURNING coalesce(job_id, 0)`, id).Scan(&jobID)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := s.Get(ctx, id); gerr != nil {
			return gerr
		}
		return ErrState
	}
	if err != nil {
		return fmt.Errorf("clips: cancel %d: %w", id, err)
	}
	_, _ = s.pool.Exec(ctx, "SELECT pg_notify($1, $2::bigint::text)", Channel, id)
	if s.queue != nil && jobID != 0 {
		// Best effort: a job that is not running is cancelled outright; a running one
		// sees the cancelled row at its next lease renewal anyway.
		_, _ = s.queue.JobCancel(ctx, jobID)
	}
	return nil
}

// Retry queues a failed or cancelled clip again with a fresh job and attempt count.
func (s *Service) Retry(ctx context.Context, id int64) (Clip, error) {
	if s.queue == nil {
		return Clip{}, ErrNoQueue
	}
	var c Clip
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `UPDATE clips SET status = 'queued', progress = 0, error = '',
			attempts = 0, lease_owner = NULL, lease_until = NULL, finished_at = NULL,
			updated_at = now() WHERE id = $1 AND status IN ('failed', 'cancelled')
			RETURNING `+clipColumns, id)
		var err error
		if c, err = scanClip(row); err != nil {
			return err
		}
		return s.insertJob(ctx, tx, &c)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := s.Get(ctx, id); gerr != nil {
			return Clip{}, gerr
		}
		return Clip{}, ErrState
	}
	if err != nil {
		return Clip{}, fmt.Errorf("clips: retry %d: %w", id, err)
	}
	return c, nil
}

// Open opens the finished file of clip c in format f for reading.
func (s *Service) Open(c Clip, f Format) (*os.File, File, error) {
	file, ok := c.File(f)
	if !ok {
		return nil, File{}, ErrNotFound
	}
	fh, err := os.Open(s.Path(file))
	if err != nil {
		return nil, File{}, fmt.Errorf("clips: open %s: %w", file.Name, err)
	}
	return fh, file, nil
}
