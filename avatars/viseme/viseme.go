// Package viseme defines the mouth shapes an avatar can show and the timeline that
// tells a renderer which shape to show when. Speech engines produce timelines; the
// avatar renderer consumes them.
package viseme

import (
	"sort"
	"time"
)

// Shape is one mouth shape. The zero value is Rest (mouth gently closed).
type Shape uint8

// The mouth shapes, grouped by the sounds that produce them.
const (
	Rest Shape = iota // silence: lips relaxed and closed
	MBP               // closed lips: m, b, p
	AA                // open jaw: a, ah
	EE                // wide lips, half open: e, eh
	IH                // smile, teeth close: i, ee
	OH                // round open: o, aw
	UW                // pucker: u, oo, w
	FV                // lower lip on upper teeth: f, v
	LTH               // tongue tip visible: l, th, n, t, d
	SZ                // teeth together: s, z, sh, ch, j
	numShapes
)

// Count is the number of distinct shapes, Rest included.
const Count = int(numShapes)

var shapeNames = [...]string{"rest", "mbp", "aa", "ee", "ih", "oh", "uw", "fv", "lth", "sz"}

// String returns the lowercase name of s, or "rest" for an unknown value.
func (s Shape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return "rest"
}

// Valid reports whether s is one of the known shapes.
func (s Shape) Valid() bool { return s < numShapes }

// Parse returns the shape named name (as printed by String) and whether it was known.
func Parse(name string) (Shape, bool) {
	for i, n := range shapeNames {
		if n == name {
			return Shape(i), true
		}
	}
	return Rest, false
}

// Cue says that Shape starts at offset At from the start of the utterance.
type Cue struct {
	At    time.Duration
	Shape Shape
}

// Timeline is a list of cues for one utterance. The renderer treats an empty
// timeline as silence and tolerates cues out of order (see Normalize).
type Timeline []Cue

// Normalize returns t sorted by time with unknown shapes replaced by Rest and
// negative offsets clamped to zero. It sorts in place and returns t.
func (t Timeline) Normalize() Timeline {
	for i := range t {
		if !t[i].Shape.Valid() {
			t[i].Shape = Rest
		}
		if t[i].At < 0 {
			t[i].At = 0
		}
	}
	sort.SliceStable(t, func(i, j int) bool { return t[i].At < t[j].At })
	return t
}

// At returns the shape active at offset d and the shape before it, with how long the
// current shape has been active. A renderer blends from prev to cur over its blend
// window using since. Before the first cue and for an empty timeline it returns Rest.
// t must be normalized.
func (t Timeline) At(d time.Duration) (prev, cur Shape, since time.Duration) {
	i := sort.Search(len(t), func(i int) bool { return t[i].At > d }) - 1
	if i < 0 {
		return Rest, Rest, d
	}
	if i > 0 {
		prev = t[i-1].Shape
	}
	return prev, t[i].Shape, d - t[i].At
}

// Shift returns a copy of t with every cue moved later by off.
func (t Timeline) Shift(off time.Duration) Timeline {
	out := make(Timeline, len(t))
	for i, c := range t {
		out[i] = Cue{At: c.At + off, Shape: c.Shape}
	}
	return out
}
