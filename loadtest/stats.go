package loadtest

import (
	"math"
	"slices"
	"time"
)

// Percentiles are the p50, p95 and p99 of a set of values, by nearest rank.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	N   int     `json:"n"`
}

// percentile returns the nearest-rank q-quantile (0 < q ≤ 1) of sorted values; 0 for none.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func percentilesOf(values []float64) Percentiles {
	s := slices.Clone(values)
	slices.Sort(s)
	return Percentiles{P50: percentile(s, .50), P95: percentile(s, .95), P99: percentile(s, .99),
		N: len(s)}
}

// frameClock accounts for the video frames of one call from their RTP timestamps
// (90 kHz, following the sender's wall clock: RFC 7741 §4.1) and arrival times.
//
// A frame counts as late when the server sent it more than half a frame interval after
// it was due (its timestamp is over 1.5 intervals after the previous frame's: the
// sender's ticker slipped), or when it arrived more than one interval later than the
// fastest frame's transit (the network or the receiver held it). Frames the sender never
// sent show as gaps in the timestamps and count as missing.
type frameClock struct {
	interval time.Duration
	started  bool
	lastTS   uint32
	unwrap   int64 // unwrapped timestamp of the last frame
	first    time.Time
	last     time.Time
	minLag   time.Duration // least (arrival − timestamp) seen
	frames   int
	late     int
	missing  int
}

func newFrameClock(fps int) *frameClock {
	return &frameClock{interval: time.Second / time.Duration(fps)}
}

// frame records one complete frame (its last packet, the one with the marker bit).
func (f *frameClock) frame(ts uint32, at time.Time) {
	if f.started && ts == f.lastTS {
		return // a second marker packet of the same frame (retransmission)
	}
	late := false
	if !f.started {
		f.started, f.first, f.lastTS = true, at, ts
	} else {
		delta := int64(int32(ts - f.lastTS))
		if delta < 0 {
			return // reordered or retransmitted old frame
		}
		f.unwrap += delta
		f.lastTS = ts
		gap := time.Duration(delta) * time.Second / 90000
		if gap > f.interval*3/2 {
			late = true
			f.missing += int((gap+f.interval/2)/f.interval) - 1
		}
	}
	lag := at.Sub(f.first) - time.Duration(f.unwrap)*time.Second/90000
	if f.frames == 0 || lag < f.minLag {
		f.minLag = lag
	} else if lag-f.minLag > f.interval {
		late = true
	}
	if late {
		f.late++
	}
	f.frames++
	f.last = at
}

// fps is the mean frame rate between the first and the last frame.
func (f *frameClock) fps() float64 {
	d := f.last.Sub(f.first)
	if f.frames < 2 || d <= 0 {
		return 0
	}
	return float64(f.frames-1) / d.Seconds()
}

// lateRatio is the share of frames that were late or missing.
func (f *frameClock) lateRatio() float64 {
	total := f.frames + f.missing
	if total == 0 {
		return 0
	}
	return float64(f.late+f.missing) / float64(total)
}
