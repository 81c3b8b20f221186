// Package handoffs owns the queue of requests for a human lawyer: it stores each
// request in Postgres, offers it to one on-duty lawyer at a time (the lawyer whose
// avatar was called first, then lawyers of the matching specialty, then any other on
// duty), moves on when an offer is declined or times out, lets exactly one lawyer
// accept, records callback requests when nobody does, keeps an audit trail of every
// step, and announces each change to every process through Postgres LISTEN/NOTIFY.
package handoffs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Status is where a request stands.
type Status string

// The statuses of a request.
const (
	Waiting    Status = "waiting"    // nobody holds the offer right now
	Offered    Status = "offered"    // one lawyer may accept until the offer expires
	Accepted   Status = "accepted"   // a lawyer has the call
	Unanswered Status = "unanswered" // nobody accepted in time; the caller was told
	Cancelled  Status = "cancelled"  // the caller left before anyone accepted
	Ended      Status = "ended"      // the lawyer handed back or ended the call
)

// Errors callers branch on.
var (
	// ErrNotFound: no such request.
	ErrNotFound = errors.New("handoffs: request not found")
	// ErrTaken: another lawyer accepted the request first.
	ErrTaken = errors.New("handoffs: another lawyer already accepted this request")
	// ErrClosed: the request is no longer open (unanswered, cancelled or ended).
	ErrClosed = errors.New("handoffs: the request is closed")
	// ErrOffDuty: the lawyer is not on duty.
	ErrOffDuty = errors.New("handoffs: go on duty to accept requests")
	// ErrBusy: the lawyer is already in a handed-off call.
	ErrBusy = errors.New("handoffs: you are already in a call")
	// ErrNotYours: the request was accepted by someone else.
	ErrNotYours = errors.New("handoffs: the request belongs to another lawyer")
	// ErrOpen: the call already has an open request.
	ErrOpen = errors.New("handoffs: the call already has an open request")
)

// Request is what a call asks for.
type Request struct {
	CallID          string
	PreferredLawyer int // the lawyer whose avatar was called
	Topic           string
	Reason          string
	Summary         string
	Lang            string
	Enterprise      string // the caller's enterprise, when given
}

// Handoff is one stored request.
type Handoff struct {
	ID              int64     `json:"id"`
	CallID          string    `json:"call_id"`
	PreferredLawyer int       `json:"preferred_lawyer"`
	Topic           string    `json:"topic"`
	Reason          string    `json:"reason"`
	Summary         string    `json:"summary"`
	Lang            string    `json:"lang"`
	Enterprise      string    `json:"enterprise"`
	Status          Status    `json:"status"`
	OfferedTo       int       `json:"offered_to,omitempty"`
	OfferExpiresAt  time.Time `json:"offer_expires_at,omitzero"`
	AcceptedBy      int       `json:"accepted_by,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	AcceptedAt      time.Time `json:"accepted_at,omitzero"`
	Note            string    `json:"note,omitempty"`
}

// Config holds the settings of a Queue. Zero fields take the defaults named.
type Config struct {
	Log *slog.Logger
	// OfferTimeout is how long one lawyer may take to accept before the offer moves on
	// (default 20s).
	OfferTimeout time.Duration
	// MaxWait is how long a request may go unaccepted in all before the caller is told
	// that nobody is free (default 90s).
	MaxWait time.Duration
	// Tick is how often Run looks for expired offers (default 1s).
	Tick time.Duration
	// Now is the clock; nil means time.Now. All times written come from it.
	Now func() time.Time
}

// Queue is the handoff queue. Its methods are safe for concurrent use by many
// goroutines and processes.
type Queue struct {
	pool *pgxpool.Pool
	cfg  Config

	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// New returns a queue backed by pool. Call Run to time offers out and to receive
// other processes' events.
func New(pool *pgxpool.Pool, cfg Config) *Queue {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.OfferTimeout <= 0 {
		cfg.OfferTimeout = 20 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 90 * time.Second
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Queue{pool: pool, cfg: cfg, subs: map[*Subscription]struct{}{}}
}

const handoffColumns = `id, call_id, preferred_lawyer, topic, reason, summary, lang, enterprise,
	status, COALESCE(offered_to, 0), COALESCE(offer_expires_at, 'epoch'),
	COALESCE(accepted_by, 0), created_at, COALESCE(accepted_at, 'epoch'), note`

func scanHandoff(row pgx.Row) (Handoff, error) {
	var h Handoff
	var st string
	err := row.Scan(&h.ID, &h.CallID, &h.PreferredLawyer, &h.Topic, &h.Reason, &h.Summary,
		&h.Lang, &h.Enterprise, &st, &h.OfferedTo, &h.OfferExpiresAt, &h.AcceptedBy,
		&h.CreatedAt, &h.AcceptedAt, &h.Note)
	h.Status = Status(st)
	if h.OfferExpiresAt.Unix() == 0 {
		h.OfferExpiresAt = time.Time{}
	}
	if h.AcceptedAt.Unix() == 0 {
		h.AcceptedAt = time.Time{}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Handoff{}, ErrNotFound
	}
	return h, err
}

// Submit stores a request and makes its first offer at once. When no lawyer is on
// duty the request is unanswered straight away (its status says so). A call may have
// one open request at a time (ErrOpen).
func (q *Queue) Submit(ctx context.Context, r Request) (Handoff, error) {
	if r.Lang != "en" {
		r.Lang = "zh"
	}
	var h Handoff
	err := pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		var err error
		h, err = scanHandoff(tx.QueryRow(ctx, `
INSERT INTO handoffs (call_id, preferred_lawyer, topic, reason, summary, lang, enterprise,
                      created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING `+handoffColumns, r.CallID, r.PreferredLawyer, r.Topic, r.Reason, trim(r.Summary, 4000),
			r.Lang, trim(r.Enterprise, 200), q.cfg.Now()))
		if isUniqueViolation(err) {
			return ErrOpen
		}
		if err != nil {
			return err
		}
		if err := q.audit(ctx, tx, h, "request", "caller", 0, r.Reason); err != nil {
			return err
		}
		h, err = q.offerNext(ctx, tx, h)
		return err
	})
	if errors.Is(err, ErrOpen) {
		return Handoff{}, err
	}
	if err != nil {
		return Handoff{}, fmt.Errorf("handoffs: submit: %w", err)
	}
	q.cfg.Log.InfoContext(ctx, "handoff requested", "handoff_id", h.ID, "call_id", h.CallID,
		"lawyer_id", r.PreferredLawyer, "status", h.Status)
	return h, nil
}

// offerNext offers h (locked by the caller's transaction) to the next candidate, or
// closes it as unanswered when there is none or it has waited too long.
func (q *Queue) offerNext(ctx context.Context, tx pgx.Tx, h Handoff) (Handoff, error) {
	now := q.cfg.Now()
	var next int
	err := tx.QueryRow(ctx, `
SELECT l.id FROM lawyers l
WHERE l.on_duty
  AND NOT EXISTS (SELECT 1 FROM handoff_passes p WHERE p.handoff_id = $1 AND p.lawyer_id = l.id)
  AND NOT EXISTS (SELECT 1 FROM handoffs b WHERE b.status = 'accepted' AND b.accepted_by = l.id)
ORDER BY l.id = $2 DESC,
         $3 = ANY (l.specialties) DESC,
         (SELECT max(a.accepted_at) FROM handoffs a WHERE a.accepted_by = l.id) ASC NULLS FIRST,
         l.id
LIMIT 1`, h.ID, h.PreferredLawyer, h.Topic).Scan(&next)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return h, err
	}
	if next == 0 || now.Sub(h.CreatedAt) >= q.cfg.MaxWait {
		detail := "nobody_free"
		if next != 0 {
			detail = "max_wait"
		}
		return q.close(ctx, tx, h, Unanswered, "unanswered", "system", 0, detail)
	}
	h, err = scanHandoff(tx.QueryRow(ctx, `
UPDATE handoffs SET status = 'offered', offered_to = $2, offer_expires_at = $3
WHERE id = $1 RETURNING `+handoffColumns, h.ID, next, now.Add(q.cfg.OfferTimeout)))
	if err != nil {
		return h, err
	}
	return h, q.audit(ctx, tx, h, "offer", "system", next, "")
}

func (q *Queue) close(ctx context.Context, tx pgx.Tx, h Handoff, st Status, kind, actor string,
	lawyer int, detail string) (Handoff, error) {
	h, err := scanHandoff(tx.QueryRow(ctx, `
UPDATE handoffs SET status = $2, offered_to = NULL, offer_expires_at = NULL, closed_at = $3
WHERE id = $1 RETURNING `+handoffColumns, h.ID, string(st), q.cfg.Now()))
	if err != nil {
		return h, err
	}
	return h, q.audit(ctx, tx, h, kind, actor, lawyer, detail)
}

// audit records one step and announces it to every process (delivered at commit).
func (q *Queue) audit(ctx context.Context, tx pgx.Tx, h Handoff, kind, actor string, lawyer int,
	detail string) error {
	var lawyerArg any
	if lawyer > 0 {
		lawyerArg = lawyer
	}
	_, err := tx.Exec(ctx, `
INSERT INTO handoff_events (handoff_id, kind, actor, lawyer_id, detail, at)
VALUES ($1, $2, $3, $4, $5, $6)`, h.ID, kind, actor, lawyerArg, detail, q.cfg.Now())
	if err != nil {
		return fmt.Errorf("audit %s: %w", kind, err)
	}
	return notify(ctx, tx, Event{Handoff: h.ID, CallID: h.CallID, Kind: kind, LawyerID: lawyer,
		Status: h.Status, Detail: detail})
}

func lawyerActor(id int) string { return fmt.Sprintf("lawyer:%d", id) }

func trim(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
