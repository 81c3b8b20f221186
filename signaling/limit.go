package signaling

import (
	"sync"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens and gains rate tokens per second.
// The zero value is empty; use newBucket.
type bucket struct {
	tokens float64
	last   time.Time
}

func newBucket(burst float64, now time.Time) bucket {
	return bucket{tokens: burst, last: now}
}

// take spends one token if there is one. Otherwise it reports how long until there is.
func (b *bucket) take(rate, burst float64, now time.Time) (bool, time.Duration) {
	b.refill(rate, burst, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if rate <= 0 {
		return false, time.Hour
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return false, wait
}

func (b *bucket) refill(rate, burst float64, now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens += dt * rate
		if b.tokens > burst {
			b.tokens = burst
		}
	}
	b.last = now
}

// ipLimiter keeps one bucket per client address. Full buckets are forgotten, so memory
// follows the addresses active in the last burst/rate seconds.
type ipLimiter struct {
	rate, burst float64

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

func newIPLimiter(perMinute float64, burst int) *ipLimiter {
	return &ipLimiter{rate: perMinute / 60, burst: float64(burst), buckets: map[string]*bucket{}}
}

// allow spends one token of ip's bucket.
func (l *ipLimiter) allow(ip string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[ip]
	if b == nil {
		nb := newBucket(l.burst, now)
		b = &nb
		l.buckets[ip] = b
	}
	return b.take(l.rate, l.burst, now)
}

func (l *ipLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for ip, b := range l.buckets {
		b.refill(l.rate, l.burst, now)
		if b.tokens >= l.burst {
			delete(l.buckets, ip)
		}
	}
}
