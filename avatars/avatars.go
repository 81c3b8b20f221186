// Package avatars owns the face of each lawyer's digital twin: a procedural,
// deterministic head-and-shoulders portrait derived from a persona, the frame
// renderer that animates it (lip-sync from viseme timelines, blinks, breathing,
// head movement, listening and thinking poses) into reusable I420 buffers, the
// shared idle loop, PNG portraits and the HTTP handler that serves them.
//
// Everything is drawn on the CPU with fogleman/gg. Per output size an avatar
// caches a Stage: the static frame already converted to I420, the head region at
// every whole-pixel offset it may move to, and sprites of the eye and mouth
// regions. A frame is then a handful of plane copies (see docs/avatars.md).
package avatars

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync"
)

// Persona is what the renderer needs to know about a lawyer. It is built by the
// caller (from the lawyer directory) and never read from a database here.
type Persona struct {
	// ID is the lawyer's id; it alone seeds the appearance.
	ID int
	// Name is printed on the nameplate, for example "王建国".
	Name string
	// Gender is "female" or "male" ("f", "m", "女", "男" are accepted too).
	Gender string
	// Specialty is the nameplate's specialty label in Chinese, for example "劳动用工".
	Specialty string
	// Firm is the law firm, printed under the name when it fits.
	Firm string
	// YearsPractice, when positive, makes grey hair likelier for long careers;
	// zero leaves age to the seed.
	YearsPractice int
}

// Options tune an avatar. The zero value is valid.
type Options struct {
	// Logger receives warnings such as a missing CJK font; nil discards them.
	Logger *slog.Logger
	// NoNameplate leaves the lower-third nameplate out of every image.
	NoNameplate bool
}

// ErrBadPersona is returned by New for a persona it cannot draw.
var ErrBadPersona = errors.New("avatars: bad persona")

// ErrBadSize is returned for an output size the renderer cannot produce.
var ErrBadSize = errors.New("avatars: bad size")

// Default output size and rate of video frames.
const (
	DefaultWidth  = 480
	DefaultHeight = 360
	FPS           = 25
)

// Size limits for frames and portraits. Video sizes must be even (I420).
const (
	minSide = 32
	maxSide = 1920
)

// Avatar is one lawyer's procedural likeness. It is safe for concurrent use;
// stages for each output size are built on first use and kept.
type Avatar struct {
	persona Persona
	look    look
	opts    Options
	log     *slog.Logger

	mu     sync.Mutex
	stages map[image.Point]*stage
}

// New derives the appearance of p. It fails only for a persona without a usable
// gender.
func New(p Persona, opts Options) (*Avatar, error) {
	female, ok := parseGender(p.Gender)
	if !ok {
		return nil, fmt.Errorf("%w: lawyer %d: gender %q is neither female nor male",
			ErrBadPersona, p.ID, p.Gender)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Avatar{
		persona: p,
		look:    deriveLook(p, female),
		opts:    opts,
		log:     log,
		stages:  map[image.Point]*stage{},
	}
	return a, nil
}

// Persona returns the persona the avatar was built from.
func (a *Avatar) Persona() Persona { return a.persona }

func parseGender(g string) (female, ok bool) {
	switch strings.ToLower(strings.TrimSpace(g)) {
	case "female", "f", "woman", "女":
		return true, true
	case "male", "m", "man", "男":
		return false, true
	}
	return false, false
}

// checkVideoSize reports whether w×h can be rendered as I420 video.
func checkVideoSize(w, h int) error {
	if w < minSide || h < minSide || w > maxSide || h > maxSide || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("%w: %dx%d (even sides from %d to %d)", ErrBadSize, w, h, minSide, maxSide)
	}
	return nil
}

// Portrait draws the avatar at rest, w×h pixels, nameplate included unless
// Options.NoNameplate is set. Each call draws afresh (about a millisecond for
// 480×360); the HTTP handler caches the encoded result.
func (a *Avatar) Portrait(w, h int) (image.Image, error) {
	if w < minSide || h < minSide || w > maxSide || h > maxSide {
		return nil, fmt.Errorf("avatars: portrait: %w: %dx%d", ErrBadSize, w, h)
	}
	lay := newLayout(w, h, &a.look)
	im := a.scene(lay).drawAll(image.Rect(0, 0, w, h), pose{}, restEyes, mouthParams[0],
		!a.opts.NoNameplate)
	return im, nil
}

// Thumbnail draws a small square head-and-shoulders image without nameplate.
func (a *Avatar) Thumbnail(side int) (image.Image, error) {
	if side < minSide || side > maxSide {
		return nil, fmt.Errorf("avatars: thumbnail: %w: %d", ErrBadSize, side)
	}
	lay := newLayout(side, side, &a.look)
	lay.zoom(1.3)
	return a.scene(lay).drawAll(image.Rect(0, 0, side, side), pose{}, restEyes, mouthParams[0],
		false), nil
}
