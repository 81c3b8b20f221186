package handoffs

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the Postgres NOTIFY channel that carries queue events between processes.
const Channel = "fayun_handoffs"

// Event is one change of a request, as every process hears it.
type Event struct {
	Handoff  int64  `json:"handoff"`
	CallID   string `json:"call"`
	Kind     string `json:"kind"` // an audit kind: request, offer, accept, decline, …
	LawyerID int    `json:"lawyer,omitempty"`
	Status   Status `json:"status"`
	Detail   string `json:"detail,omitempty"`
}

func notify(ctx context.Context, tx pgx.Tx, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, string(b)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Subscription receives the queue's events in this process.
type Subscription struct {
	q       *Queue
	c       chan Event
	dropped atomic.Int64
}

// C delivers events. When the reader falls behind events are dropped and counted;
// readers resynchronise with Open.
func (s *Subscription) C() <-chan Event { return s.c }

// Dropped counts the events this subscription lost.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close stops the subscription.
func (s *Subscription) Close() {
	s.q.mu.Lock()
	delete(s.q.subs, s)
	s.q.mu.Unlock()
}

// Subscribe returns a subscription to every event of the queue, from any process,
// while Run is running.
func (q *Queue) Subscribe() *Subscription {
	s := &Subscription{q: q, c: make(chan Event, 64)}
	q.mu.Lock()
	q.subs[s] = struct{}{}
	q.mu.Unlock()
	return s
}

func (q *Queue) publish(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for s := range q.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// Run listens for events on a connection of its own and advances the queue every
// Tick until ctx ends. It reconnects when the database goes away. ready, if not nil,
// is closed once the first LISTEN is in place.
func (q *Queue) Run(ctx context.Context, ready chan<- struct{}) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.listen(ctx, ready)
	}()
	t := time.NewTicker(q.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
			if n, err := q.Advance(ctx); err != nil && ctx.Err() == nil {
				q.cfg.Log.WarnContext(ctx, "advance handoff queue", "err", err)
			} else if n > 0 {
				q.cfg.Log.DebugContext(ctx, "handoff queue advanced", "changed", n)
			}
		}
	}
}

func (q *Queue) listen(ctx context.Context, ready chan<- struct{}) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := q.listenOnce(ctx, &ready)
		if ctx.Err() != nil {
			return
		}
		q.cfg.Log.WarnContext(ctx, "handoff listener lost; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (q *Queue) listenOnce(ctx context.Context, ready *chan<- struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, q.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if *ready != nil {
		close(*ready)
		*ready = nil
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var e Event
		if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
			q.cfg.Log.WarnContext(ctx, "malformed handoff event", "err", err)
			continue
		}
		q.publish(e)
	}
}
