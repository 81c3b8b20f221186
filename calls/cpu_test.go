package calls

import (
	"errors"
	"testing"
	"time"

	"fayun/signaling"
)

// burn keeps one core busy for d.
func burn(d time.Duration) {
	x := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := range 10000 {
			x += i
		}
	}
	_ = x
}

func TestAdmitRefusesOverCPUBudget(t *testing.T) {
	h := NewHost(Config{MaxCPU: 5})
	if err := h.admit(); err != nil {
		t.Fatalf("first call, nothing measured yet: %v", err)
	}
	burn(1100 * time.Millisecond)
	err := h.admit()
	var oc *signaling.OverCapacityError
	if !errors.As(err, &oc) || oc.RetryAfter <= 0 {
		t.Fatalf("after a second of busy CPU: %v, want over_capacity", err)
	}
	if p := h.cpu.percent(time.Now()); p < 5 {
		t.Errorf("measured %g %% while burning a core", p)
	}
	if err := NewHost(Config{}).admit(); err != nil {
		t.Errorf("no budget set: %v", err)
	}
}
