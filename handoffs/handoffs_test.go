package handoffs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/handoffs"
	"fayun/lawyers"
	"fayun/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	pool  *pgxpool.Pool
	q     *handoffs.Queue
	clock *clock
	calls int
}

// setup gives a database where every lawyer is off duty and practises "ip" only.
func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := storetest.New(t)
	if _, err := lawyers.NewDirectory(pool).Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE lawyers SET on_duty = false, specialties = '{ip}'"); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	q := handoffs.New(pool, handoffs.Config{OfferTimeout: 20 * time.Second, MaxWait: 5 * time.Minute,
		Now: c.now})
	return &fixture{pool: pool, q: q, clock: c}
}

// lawyer puts lawyer id on duty with the given specialties.
func (f *fixture) lawyer(t *testing.T, id int, onDuty bool, specs ...string) {
	t.Helper()
	if len(specs) == 0 {
		specs = []string{"ip"}
	}
	if _, err := f.pool.Exec(context.Background(),
		"UPDATE lawyers SET on_duty = $2, specialties = $3 WHERE id = $1", id, onDuty, specs); err != nil {
		t.Fatal(err)
	}
}

// call makes a live call row and returns its id.
func (f *fixture) call(t *testing.T, lawyer int) string {
	t.Helper()
	f.calls++
	id := fmt.Sprintf("call-%d", f.calls)
	if _, err := f.pool.Exec(context.Background(), `INSERT INTO calls (id, lawyer_id, lang, transcript_token)
VALUES ($1, $2, 'zh', $1 || '-token')`, id, lawyer); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) submit(t *testing.T, preferred int, topic string) handoffs.Handoff {
	t.Helper()
	h, err := f.q.Submit(context.Background(), handoffs.Request{CallID: f.call(t, preferred),
		PreferredLawyer: preferred, Topic: topic, Reason: "explicit_request", Summary: "• 被辞退"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// expire moves the clock past the offer and advances the queue.
func (f *fixture) expire(t *testing.T, id int64) handoffs.Handoff {
	t.Helper()
	f.clock.add(21 * time.Second)
	if _, err := f.q.Advance(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := f.q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOfferOrder(t *testing.T) {
	f := setup(t)
	f.lawyer(t, 10, true, "labor") // preferred
	f.lawyer(t, 20, true, "ip")    // other specialty
	f.lawyer(t, 30, true, "tax", "labor")
	f.lawyer(t, 40, true, "labor")
	f.lawyer(t, 50, false, "labor") // off duty: never offered

	h := f.submit(t, 10, "labor")
	var got []int
	for h.Status == handoffs.Offered {
		got = append(got, h.OfferedTo)
		h = f.expire(t, h.ID)
	}
	want := []int{10, 30, 40, 20} // preferred, specialty (by id, none accepted before), others
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("offers went to %v, want %v", got, want)
	}
	if h.Status != handoffs.Unanswered {
		t.Fatalf("after every offer timed out: %s, want unanswered", h.Status)
	}
	audit, err := f.q.Audit(context.Background(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range audit {
		kinds = append(kinds, fmt.Sprintf("%s:%d", e.Kind, e.LawyerID))
	}
	wantKinds := "[request:0 offer:10 timeout:10 offer:30 timeout:30 offer:40 timeout:40 offer:20 timeout:20 unanswered:0]"
	if fmt.Sprint(kinds) != wantKinds {
		t.Fatalf("audit %v\nwant  %s", kinds, wantKinds)
	}
}

func TestPreferredOffDutyGoesToSpecialty(t *testing.T) {
	f := setup(t)
	f.lawyer(t, 10, false, "labor")
	f.lawyer(t, 20, true, "ip")
	f.lawyer(t, 30, true, "labor")
	h := f.submit(t, 10, "labor")
	if h.Status != handoffs.Offered || h.OfferedTo != 30 {
		t.Fatalf("first offer: %s to %d, want offered to 30", h.Status, h.OfferedTo)
	}
}

func TestFairnessPrefersWhoWaitedLongest(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.lawyer(t, 30, true, "labor")
	f.lawyer(t, 40, true, "labor")
	// Lawyer 30 took a request earlier and is free again.
	h := f.submit(t, 30, "labor")
	if _, err := f.q.Accept(ctx, h.ID, 30); err != nil {
		t.Fatal(err)
	}
	if _, err := f.q.HandBack(ctx, h.ID, 30); err != nil {
		t.Fatal(err)
	}
	h = f.submit(t, 99, "labor") // preferred lawyer 99 off duty
	if h.OfferedTo != 40 {
		t.Fatalf("offer went to %d, want 40 (who has not had a handoff yet)", h.OfferedTo)
	}
}

func TestNobodyOnDutyIsUnansweredAtOnce(t *testing.T) {
	f := setup(t)
	h := f.submit(t, 10, "labor")
	if h.Status != handoffs.Unanswered {
		t.Fatalf("status %s, want unanswered", h.Status)
	}
}

func TestMaxWait(t *testing.T) {
	f := setup(t)
	for id := 1; id <= 40; id++ {
		f.lawyer(t, id, true, "labor")
	}
	h := f.submit(t, 1, "labor")
	for range 14 { // 14 × 21 s = 294 s < 5 min
		h = f.expire(t, h.ID)
	}
	if h.Status != handoffs.Offered {
		t.Fatalf("before max wait: %s", h.Status)
	}
	h = f.expire(t, h.ID)
	if h.Status != handoffs.Unanswered {
		t.Fatalf("after max wait: %s, want unanswered", h.Status)
	}
}

func TestDeclineMovesOnAndIsNotOfferedAgain(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.lawyer(t, 10, true, "labor")
	f.lawyer(t, 20, true, "labor")
	h := f.submit(t, 10, "labor")
	h, err := f.q.Decline(ctx, h.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if h.OfferedTo != 20 {
		t.Fatalf("after decline offered to %d, want 20", h.OfferedTo)
	}
	h = f.expire(t, h.ID)
	if h.Status != handoffs.Unanswered {
		t.Fatalf("declined lawyer offered again? %s to %d", h.Status, h.OfferedTo)
	}
	if _, err := f.q.Decline(ctx, h.ID, 20); !errors.Is(err, handoffs.ErrClosed) {
		t.Fatalf("decline of closed request: %v", err)
	}
}

func TestExactlyOneAccepts(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const n = 24
	for id := 1; id <= n; id++ {
		f.lawyer(t, id, true, "labor")
	}
	for round := range 5 {
		h := f.submit(t, 1, "labor")
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners, taken := []int{}, 0
		start := make(chan struct{})
		for id := 1; id <= n; id++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.q.Accept(ctx, h.ID, id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, id)
				case errors.Is(err, handoffs.ErrTaken), errors.Is(err, handoffs.ErrBusy):
					taken++
				default:
					t.Errorf("lawyer %d: unexpected %v", id, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 || taken != n-1 {
			t.Fatalf("round %d: winners %v, refused %d; want one winner", round, winners, taken)
		}
		got, _ := f.q.Get(ctx, h.ID)
		if got.Status != handoffs.Accepted || got.AcceptedBy != winners[0] {
			t.Fatalf("stored %s by %d, want accepted by %d", got.Status, got.AcceptedBy, winners[0])
		}
		if _, err := f.q.End(ctx, h.ID, winners[0]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAcceptRefusals(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.lawyer(t, 10, true, "labor")
	f.lawyer(t, 20, true, "labor")
	f.lawyer(t, 30, false, "labor")
	h := f.submit(t, 10, "labor")
	if _, err := f.q.Accept(ctx, h.ID, 30); !errors.Is(err, handoffs.ErrOffDuty) {
		t.Fatalf("off duty: %v", err)
	}
	if _, err := f.q.Accept(ctx, h.ID, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := f.q.Accept(ctx, h.ID, 20); !errors.Is(err, handoffs.ErrTaken) {
		t.Fatalf("taken: %v", err)
	}
	if _, err := f.q.HandBack(ctx, h.ID, 20); !errors.Is(err, handoffs.ErrNotYours) {
		t.Fatalf("hand back by another: %v", err)
	}
	// Lawyer 10 is busy: a second request skips them and they cannot accept it.
	h2 := f.submit(t, 10, "labor")
	if h2.OfferedTo != 20 {
		t.Fatalf("busy lawyer offered: %d", h2.OfferedTo)
	}
	if _, err := f.q.Accept(ctx, h2.ID, 10); !errors.Is(err, handoffs.ErrBusy) {
		t.Fatalf("busy: %v", err)
	}
	if _, err := f.q.Accept(ctx, 999999, 10); !errors.Is(err, handoffs.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := f.q.HandBack(ctx, h.ID, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := f.q.Accept(ctx, h.ID, 10); !errors.Is(err, handoffs.ErrTaken) {
		t.Fatalf("accept after hand back: %v", err)
	}
}

func TestOneOpenRequestPerCallAndCallerLeaving(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.lawyer(t, 10, true, "labor")
	h := f.submit(t, 10, "labor")
	again := handoffs.Request{CallID: h.CallID, PreferredLawyer: 10}
	if _, err := f.q.Submit(ctx, again); !errors.Is(err, handoffs.ErrOpen) {
		t.Fatalf("second request: %v", err)
	}
	if _, err := f.pool.Exec(ctx, "UPDATE calls SET ended_at = now() WHERE id = $1", h.CallID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.q.Advance(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := f.q.Get(ctx, h.ID)
	if got.Status != handoffs.Cancelled {
		t.Fatalf("after the caller left: %s, want cancelled", got.Status)
	}
}

func TestOpenOrderAndCallbacks(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.lawyer(t, 10, true, "labor")
	a := f.submit(t, 10, "labor")
	f.clock.add(time.Second)
	b := f.submit(t, 11, "labor")
	open, err := f.q.Open(ctx, 10)
	if err != nil || len(open) != 2 || open[0].ID != a.ID || open[1].ID != b.ID {
		t.Fatalf("open %v %v, want [%d %d]", open, err, a.ID, b.ID)
	}
	none := f.submit(t, 12, "tax")
	f.lawyer(t, 10, false)
	c := f.submit(t, 13, "tax")
	if c.Status != handoffs.Unanswered {
		t.Fatalf("status %s", c.Status)
	}
	for _, bad := range [][2]string{{"phone", "call me"}, {"fax", "123456"}, {"wechat", "a b"}, {"phone", "12"}} {
		if _, err := f.q.AddCallback(ctx, c.CallID, bad[0], bad[1], ""); !errors.Is(err, handoffs.ErrBadContact) {
			t.Errorf("contact %v: %v", bad, err)
		}
	}
	cb, err := f.q.AddCallback(ctx, c.CallID, "phone", "+86 138-0000-0000", "今天 14:00–18:00")
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.q.Callbacks(ctx)
	if err != nil || len(list) != 1 || list[0].Contact != "+86 138-0000-0000" || list[0].Topic != "tax" {
		t.Fatalf("callbacks %+v %v", list, err)
	}
	if err := f.q.CallbackDone(ctx, cb.ID, 10); err != nil {
		t.Fatal(err)
	}
	if err := f.q.CallbackDone(ctx, cb.ID, 10); !errors.Is(err, handoffs.ErrNotFound) {
		t.Fatalf("done twice: %v", err)
	}
	_ = none
}

// TestEventsReachOtherProcesses runs two queues on separate pools (two "processes"):
// what one does, the other hears through LISTEN/NOTIFY.
func TestEventsReachOtherProcesses(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other, err := pgxpool.New(ctx, f.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	listener := handoffs.New(other, handoffs.Config{Tick: time.Hour})
	sub := listener.Subscribe()
	defer sub.Close()
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); listener.Run(ctx, ready) }()
	defer wg.Wait()
	defer cancel()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("listener not ready")
	}

	f.lawyer(t, 10, true, "labor")
	h := f.submit(t, 10, "labor")
	var kinds []string
	timeout := time.After(10 * time.Second)
	for len(kinds) < 2 {
		select {
		case e := <-sub.C():
			if e.Handoff != h.ID || e.CallID != h.CallID {
				t.Fatalf("event of another request: %+v", e)
			}
			kinds = append(kinds, fmt.Sprintf("%s:%d", e.Kind, e.LawyerID))
		case <-timeout:
			t.Fatalf("events heard: %v, want request and offer", kinds)
		}
	}
	if fmt.Sprint(kinds) != "[request:0 offer:10]" {
		t.Fatalf("events %v", kinds)
	}
}
