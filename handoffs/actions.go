package handoffs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// locked runs f in a transaction holding request id's row lock.
func (q *Queue) locked(ctx context.Context, id int64, f func(tx pgx.Tx, h Handoff) (Handoff,
	error)) (Handoff, error) {
	var out Handoff
	err := pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		h, err := scanHandoff(tx.QueryRow(ctx,
			"SELECT "+handoffColumns+" FROM handoffs WHERE id = $1 FOR UPDATE", id))
		if err != nil {
			return err
		}
		out, err = f(tx, h)
		return err
	})
	return out, err
}

// Accept gives request id to lawyer. Of many lawyers accepting at once exactly one
// wins; the others get ErrTaken. An off-duty lawyer gets ErrOffDuty, one already in a
// handed-off call ErrBusy, a closed request ErrClosed.
func (q *Queue) Accept(ctx context.Context, id int64, lawyer int) (Handoff, error) {
	h, err := q.locked(ctx, id, func(tx pgx.Tx, h Handoff) (Handoff, error) {
		switch h.Status {
		case Accepted, Ended:
			if h.AcceptedBy == lawyer && h.Status == Accepted {
				return h, nil // a repeated click
			}
			return h, ErrTaken
		case Unanswered, Cancelled:
			return h, ErrClosed
		}
		var onDuty, busy bool
		err := tx.QueryRow(ctx, `
SELECT l.on_duty, EXISTS (SELECT 1 FROM handoffs b WHERE b.status = 'accepted' AND b.accepted_by = l.id)
FROM lawyers l WHERE l.id = $1`, lawyer).Scan(&onDuty, &busy)
		if err != nil {
			return h, fmt.Errorf("read lawyer %d: %w", lawyer, err)
		}
		if !onDuty {
			return h, ErrOffDuty
		}
		if busy {
			return h, ErrBusy
		}
		h, err = scanHandoff(tx.QueryRow(ctx, `
UPDATE handoffs SET status = 'accepted', accepted_by = $2, accepted_at = $3, offered_to = NULL,
                    offer_expires_at = NULL
WHERE id = $1 RETURNING `+handoffColumns, id, lawyer, q.cfg.Now()))
		if err != nil {
			return h, err
		}
		if _, err := tx.Exec(ctx, "UPDATE calls SET handed_off = true WHERE id = $1", h.CallID); err != nil {
			return h, err
		}
		return h, q.audit(ctx, tx, h, "accept", lawyerActor(lawyer), lawyer, "")
	})
	if err != nil {
		return h, wrap("accept", err)
	}
	q.cfg.Log.InfoContext(ctx, "handoff accepted", "handoff_id", id, "call_id", h.CallID,
		"lawyer_id", lawyer)
	return h, nil
}

// Decline records that lawyer does not take request id; it is not offered to them
// again, and when the offer was theirs it moves on at once.
func (q *Queue) Decline(ctx context.Context, id int64, lawyer int) (Handoff, error) {
	h, err := q.locked(ctx, id, func(tx pgx.Tx, h Handoff) (Handoff, error) {
		if h.Status != Waiting && h.Status != Offered {
			return h, ErrClosed
		}
		if err := q.pass(ctx, tx, h, lawyer, "decline", lawyerActor(lawyer)); err != nil {
			return h, err
		}
		if h.Status == Offered && h.OfferedTo != lawyer {
			return h, nil
		}
		return q.offerNext(ctx, tx, h)
	})
	return h, wrap("decline", err)
}

func (q *Queue) pass(ctx context.Context, tx pgx.Tx, h Handoff, lawyer int, kind, actor string) error {
	_, err := tx.Exec(ctx, `
INSERT INTO handoff_passes (handoff_id, lawyer_id, at) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING`, h.ID, lawyer, q.cfg.Now())
	if err != nil {
		return err
	}
	return q.audit(ctx, tx, h, kind, actor, lawyer, "")
}

// HandBack ends lawyer's part of request id and returns the call to the avatar.
func (q *Queue) HandBack(ctx context.Context, id int64, lawyer int) (Handoff, error) {
	return q.finish(ctx, id, lawyer, "hand_back")
}

// End records that lawyer ended the call of request id.
func (q *Queue) End(ctx context.Context, id int64, lawyer int) (Handoff, error) {
	return q.finish(ctx, id, lawyer, "end")
}

func (q *Queue) finish(ctx context.Context, id int64, lawyer int, kind string) (Handoff, error) {
	h, err := q.locked(ctx, id, func(tx pgx.Tx, h Handoff) (Handoff, error) {
		if h.AcceptedBy != lawyer {
			return h, ErrNotYours
		}
		if h.Status != Accepted {
			return h, ErrClosed
		}
		return q.close(ctx, tx, h, Ended, kind, lawyerActor(lawyer), lawyer, "")
	})
	return h, wrap(kind, err)
}

// SetNote saves the accepting lawyer's note about the call of request id.
func (q *Queue) SetNote(ctx context.Context, id int64, lawyer int, note string) error {
	_, err := q.locked(ctx, id, func(tx pgx.Tx, h Handoff) (Handoff, error) {
		if h.AcceptedBy != lawyer {
			return h, ErrNotYours
		}
		_, err := tx.Exec(ctx, "UPDATE handoffs SET note = $2 WHERE id = $1", id, trim(note, 4000))
		if err != nil {
			return h, err
		}
		return h, q.audit(ctx, tx, h, "note", lawyerActor(lawyer), lawyer, "")
	})
	return wrap("note", err)
}

// CallEnded closes the open request of a call whose caller has left: a waiting one is
// cancelled, an accepted one ended.
func (q *Queue) CallEnded(ctx context.Context, callID string) error {
	var id int64
	err := q.pool.QueryRow(ctx, `SELECT id FROM handoffs WHERE call_id = $1
AND status IN ('waiting', 'offered', 'accepted')`, callID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("handoffs: call ended: %w", err)
	}
	_, err = q.locked(ctx, id, func(tx pgx.Tx, h Handoff) (Handoff, error) {
		switch h.Status {
		case Waiting, Offered:
			return q.close(ctx, tx, h, Cancelled, "cancel", "caller", 0, "caller_left")
		case Accepted:
			return q.close(ctx, tx, h, Ended, "end", "caller", h.AcceptedBy, "caller_left")
		}
		return h, nil
	})
	return wrap("call ended", err)
}

// Advance does one round of the queue's clockwork: offers that expired move to the
// next lawyer (the one who let it expire is recorded as timed out), requests whose call
// has ended are cancelled, and requests waiting with nobody to offer to are offered
// again or closed. Each request is handled by one process (SKIP LOCKED). It returns how
// many requests it changed.
func (q *Queue) Advance(ctx context.Context) (int, error) {
	now := q.cfg.Now()
	n := 0
	for {
		changed := false
		err := pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
			h, err := scanHandoff(tx.QueryRow(ctx, `
SELECT `+handoffColumns+` FROM handoffs h
WHERE (status = 'offered' AND offer_expires_at <= $1)
   OR (status = 'waiting')
   OR (status IN ('waiting', 'offered')
       AND EXISTS (SELECT 1 FROM calls c WHERE c.id = h.call_id AND c.ended_at IS NOT NULL))
ORDER BY created_at
LIMIT 1 FOR UPDATE SKIP LOCKED`, now))
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			changed = true
			var ended bool
			if err := tx.QueryRow(ctx, "SELECT ended_at IS NOT NULL FROM calls WHERE id = $1",
				h.CallID).Scan(&ended); err != nil {
				return err
			}
			switch {
			case ended:
				_, err = q.close(ctx, tx, h, Cancelled, "cancel", "caller", 0, "caller_left")
			case h.Status == Offered:
				if err := q.pass(ctx, tx, h, h.OfferedTo, "timeout", "system"); err != nil {
					return err
				}
				_, err = q.offerNext(ctx, tx, h)
			default:
				_, err = q.offerNext(ctx, tx, h)
			}
			return err
		})
		if err != nil {
			return n, fmt.Errorf("handoffs: advance: %w", err)
		}
		if !changed {
			return n, nil
		}
		n++
	}
}

// Get returns request id.
func (q *Queue) Get(ctx context.Context, id int64) (Handoff, error) {
	h, err := scanHandoff(q.pool.QueryRow(ctx,
		"SELECT "+handoffColumns+" FROM handoffs WHERE id = $1", id))
	return h, wrap("get", err)
}

// ForCall returns the latest request of a call.
func (q *Queue) ForCall(ctx context.Context, callID string) (Handoff, error) {
	h, err := scanHandoff(q.pool.QueryRow(ctx, "SELECT "+handoffColumns+
		" FROM handoffs WHERE call_id = $1 ORDER BY id DESC LIMIT 1", callID))
	return h, wrap("for call", err)
}

// Open returns the requests not yet accepted, oldest first, and the one lawyer has
// accepted, if any.
func (q *Queue) Open(ctx context.Context, lawyer int) ([]Handoff, error) {
	rows, err := q.pool.Query(ctx, "SELECT "+handoffColumns+` FROM handoffs
WHERE status IN ('waiting', 'offered') OR (status = 'accepted' AND accepted_by = $1)
ORDER BY created_at, id`, lawyer)
	if err != nil {
		return nil, fmt.Errorf("handoffs: open: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Handoff, error) {
		return scanHandoff(r)
	})
	return out, wrap("open", err)
}

// AuditEntry is one step in a request's history.
type AuditEntry struct {
	Kind     string    `json:"kind"`
	Actor    string    `json:"actor"`
	LawyerID int       `json:"lawyer_id,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	At       time.Time `json:"at"`
}

// Audit returns request id's history in order.
func (q *Queue) Audit(ctx context.Context, id int64) ([]AuditEntry, error) {
	rows, err := q.pool.Query(ctx, `SELECT kind, actor, COALESCE(lawyer_id, 0), detail, at
FROM handoff_events WHERE handoff_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("handoffs: audit: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.Kind, &e.Actor, &e.LawyerID, &e.Detail, &e.At)
		return e, err
	})
	return out, wrap("audit", err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{ErrNotFound, ErrTaken, ErrClosed, ErrOffDuty, ErrBusy, ErrNotYours} {
		if errors.Is(err, s) {
			return s
		}
	}
	return fmt.Errorf("handoffs: %s: %w", op, err)
}

// Callback is a caller's request to be called back.
type Callback struct {
	ID          int64     `json:"id"`
	HandoffID   int64     `json:"handoff_id"`
	CallID      string    `json:"call_id"`
	Lawyer      int       `json:"preferred_lawyer"`
	Topic       string    `json:"topic"`
	Summary     string    `json:"summary"`
	ContactKind string    `json:"contact_kind"` // phone or wechat
	Contact     string    `json:"contact"`
	Window      string    `json:"time_window"`
	CreatedAt   time.Time `json:"created_at"`
}

// ErrBadContact: the callback's contact is not a plausible phone number or WeChat id.
var ErrBadContact = errors.New("handoffs: give a phone number or a WeChat id")

// AddCallback stores a callback request for the latest request of callID.
func (q *Queue) AddCallback(ctx context.Context, callID, kind, contact, window string) (Callback,
	error) {
	contact = strings.TrimSpace(contact)
	if (kind != "phone" && kind != "wechat") || !plausibleContact(kind, contact) {
		return Callback{}, ErrBadContact
	}
	h, err := q.ForCall(ctx, callID)
	if err != nil {
		return Callback{}, err
	}
	var cb Callback
	err = pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
INSERT INTO handoff_callbacks (handoff_id, contact_kind, contact, time_window, created_at)
VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, h.ID, kind, contact, trim(window, 100),
			q.cfg.Now()).Scan(&cb.ID, &cb.CreatedAt)
		if err != nil {
			return err
		}
		return q.audit(ctx, tx, h, "callback", "caller", 0, kind)
	})
	if err != nil {
		return Callback{}, fmt.Errorf("handoffs: add callback: %w", err)
	}
	cb.HandoffID, cb.CallID, cb.Lawyer, cb.Topic, cb.Summary = h.ID, h.CallID, h.PreferredLawyer,
		h.Topic, h.Summary
	cb.ContactKind, cb.Contact, cb.Window = kind, contact, trim(window, 100)
	return cb, nil
}

func plausibleContact(kind, c string) bool {
	if kind == "phone" {
		digits := 0
		for _, r := range c {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune("+-() ", r):
			default:
				return false
			}
		}
		return digits >= 5 && digits <= 20
	}
	if len(c) < 3 || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Callbacks returns the callback requests not yet done, oldest first.
func (q *Queue) Callbacks(ctx context.Context) ([]Callback, error) {
	rows, err := q.pool.Query(ctx, `
SELECT c.id, c.handoff_id, h.call_id, h.preferred_lawyer, h.topic, h.summary, c.contact_kind,
       c.contact, c.time_window, c.created_at
FROM handoff_callbacks c JOIN handoffs h ON h.id = c.handoff_id
WHERE c.done_at IS NULL ORDER BY c.created_at, c.id`)
	if err != nil {
		return nil, fmt.Errorf("handoffs: callbacks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Callback, error) {
		var c Callback
		err := r.Scan(&c.ID, &c.HandoffID, &c.CallID, &c.Lawyer, &c.Topic, &c.Summary,
			&c.ContactKind, &c.Contact, &c.Window, &c.CreatedAt)
		return c, err
	})
	return out, wrap("callbacks", err)
}

// CallbackDone marks a callback request as handled by lawyer.
func (q *Queue) CallbackDone(ctx context.Context, id int64, lawyer int) error {
	tag, err := q.pool.Exec(ctx, `UPDATE handoff_callbacks SET done_at = $3, done_by = $2
WHERE id = $1 AND done_at IS NULL`, id, lawyer, q.cfg.Now())
	if err != nil {
		return fmt.Errorf("handoffs: callback done: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
