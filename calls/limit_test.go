package calls

import (
	"testing"
	"time"
)

func TestEventLimiter(t *testing.T) {
	var l eventLimiter
	now := time.Unix(1000, 0)
	allowed := 0
	for range 30 {
		if l.allow(now) {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("burst allowed %d, want 10", allowed)
	}
	now = now.Add(time.Second) // five more tokens
	allowed = 0
	for range 30 {
		if l.allow(now) {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("after one second %d allowed, want 5", allowed)
	}
}
