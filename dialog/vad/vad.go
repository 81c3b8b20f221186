// Package vad owns voice activity and end-of-turn detection: a streaming detector
// over 20 ms frames of 16 kHz audio that tells the dialog when a caller starts
// speaking (early enough to interrupt the avatar) and when they have finished a turn,
// handing over the utterance's audio.
package vad

import (
	"fmt"
	"math"
	"time"

	"fayun/dialog/audio"
)

// Rate is the sample rate the detector expects.
const Rate = audio.RateSTT

// FrameLen is the duration of one analysis frame.
const FrameLen = 20 * time.Millisecond

const frameSamples = Rate * int(FrameLen/time.Millisecond) / 1000 // 320

// Config tunes a Detector. Zero fields take the defaults documented on each field
// (and in docs/speech.md, with the reasons).
type Config struct {
	// StartAfter is how much speech (in frames that may have one short gap) must be
	// heard before SpeechStart is reported. Default 100 ms: long enough to skip
	// clicks and taps, short enough for barge-in to react within 200 ms of onset.
	StartAfter time.Duration
	// Hangover is the silence that ends a turn. Default 700 ms: people pause
	// 200–500 ms inside a sentence to breathe or think; longer waits make the
	// avatar feel slow.
	Hangover time.Duration
	// MinUtterance is the least voiced time a turn needs; shorter bursts (a cough,
	// "uh", a door) end with SpeechAbort instead of SpeechEnd. Default 300 ms.
	MinUtterance time.Duration
	// MaxUtterance ends a turn that runs this long without a pause. Default 30 s.
	MaxUtterance time.Duration
	// PreRoll is audio kept from before the detected onset and included in the
	// utterance, because soft consonants start below the threshold. Default 200 ms.
	PreRoll time.Duration
	// ThresholdDB is how far above the noise floor a frame must be to count as
	// speech. Default 10 dB; inside a turn half of it is enough (hysteresis).
	ThresholdDB float64
	// MinSpeechDBFS is the quietest level that can be speech, whatever the noise
	// floor. Default -50 dBFS.
	MinSpeechDBFS float64
	// FloorWindow is how far back the noise floor looks for its minimum. Default
	// 1.6 s: stationary noise that starts suddenly is learned within this time.
	FloorWindow time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.StartAfter, 100*time.Millisecond)
	def(&c.Hangover, 700*time.Millisecond)
	def(&c.MinUtterance, 300*time.Millisecond)
	def(&c.MaxUtterance, 30*time.Second)
	def(&c.PreRoll, 200*time.Millisecond)
	def(&c.FloorWindow, 1600*time.Millisecond)
	if c.ThresholdDB <= 0 {
		c.ThresholdDB = 10
	}
	if c.MinSpeechDBFS == 0 {
		c.MinSpeechDBFS = -50
	}
	return c
}

// Kind is what an Event reports.
type Kind int

// The kinds of event.
const (
	// SpeechStart: the caller started speaking (barge-in signal). At is the
	// estimated onset.
	SpeechStart Kind = iota + 1
	// SpeechEnd: the turn is over. At is the end of speech; Utterance holds the
	// audio from the onset (less pre-roll) to the end (plus a short tail).
	SpeechEnd
	// SpeechAbort: what started was too short to be a turn (cough, click). At is
	// when it ended.
	SpeechAbort
)

func (k Kind) String() string {
	switch k {
	case SpeechStart:
		return "start"
	case SpeechEnd:
		return "end"
	case SpeechAbort:
		return "abort"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is a change in the caller's speaking state. Times are offsets from the
// start of the stream.
type Event struct {
	Kind      Kind
	At        time.Duration
	Start     time.Duration // for SpeechEnd: onset of the utterance
	Utterance audio.PCM     // for SpeechEnd only
}

// Detector finds speech turns in a 16 kHz stream pushed in chunks of any size. It
// is not safe for concurrent use; use one per call.
type Detector struct {
	cfg Config

	pending []int16 // samples not yet forming a whole frame
	frame   int     // frames analysed so far
	dc      float64 // running mean removed from the signal

	// Noise floor: minimum frame level over FloorWindow, kept as minima of
	// sub-windows so the window slides in steps.
	subMin   []float64
	subLen   int
	subCount int

	history []int16 // recent audio for pre-roll, at most PreRoll + StartAfter long

	inSpeech   bool
	started    bool // SpeechStart sent for the current run
	onset      int  // frame where the current run started
	lastVoiced int  // last frame that was speech
	voiced     int  // voiced frames in the current run
	recent     []bool
	utterance  []int16
}

// New returns a detector with cfg (zero fields take their defaults).
func New(cfg Config) *Detector {
	cfg = cfg.withDefaults()
	frames := int(cfg.FloorWindow / FrameLen)
	subs := 8
	d := &Detector{cfg: cfg, subLen: max(1, frames/subs), subMin: make([]float64, 0, subs)}
	return d
}

// Config returns the detector's settings with defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// NoiseFloor returns the current noise floor estimate in dBFS.
func (d *Detector) NoiseFloor() float64 {
	if len(d.subMin) == 0 {
		return -100
	}
	m := d.subMin[0]
	for _, v := range d.subMin[1:] {
		m = math.Min(m, v)
	}
	return m
}

// Push analyses 16 kHz samples and returns the events they complete, in order.
func (d *Detector) Push(samples []int16) []Event {
	var events []Event
	d.pending = append(d.pending, samples...)
	for len(d.pending) >= frameSamples {
		events = d.step(d.pending[:frameSamples], events)
		d.pending = d.pending[frameSamples:]
	}
	d.pending = append([]int16(nil), d.pending...) // do not pin the caller's buffer
	return events
}

// Flush ends the stream: a turn in progress ends now (or aborts if too short).
func (d *Detector) Flush() []Event {
	if !d.inSpeech {
		return nil
	}
	return d.finish(nil)
}

func (d *Detector) at(frame int) time.Duration { return time.Duration(frame) * FrameLen }

// level returns the frame's level in dBFS after removing the DC offset.
func (d *Detector) level(f []int16) float64 {
	var sum, sq float64
	for _, s := range f {
		v := float64(s) - d.dc
		sum += float64(s)
		sq += v * v
	}
	// DC follows the frame mean with a time constant of about 200 ms.
	d.dc += 0.1 * (sum/float64(len(f)) - d.dc)
	return audio.DBFS(math.Sqrt(sq/float64(len(f))) / 32768)
}

func (d *Detector) updateFloor(db float64) {
	if d.subCount == 0 {
		if len(d.subMin) == cap(d.subMin) {
			copy(d.subMin, d.subMin[1:])
			d.subMin = d.subMin[:len(d.subMin)-1]
		}
		d.subMin = append(d.subMin, db)
	}
	last := &d.subMin[len(d.subMin)-1]
	*last = math.Min(*last, db)
	d.subCount = (d.subCount + 1) % d.subLen
}

func (d *Detector) step(f []int16, events []Event) []Event {
	db := d.level(f)
	floor := d.NoiseFloor()
	d.updateFloor(db)
	threshold := d.cfg.ThresholdDB
	if d.inSpeech {
		threshold /= 2 // hysteresis: soft endings (final s, f, th) keep a turn alive
	}
	speech := db > d.cfg.MinSpeechDBFS && db > floor+threshold
	d.remember(f)
	n := d.frame
	d.frame++

	startFrames := int(d.cfg.StartAfter / FrameLen)
	d.recent = append(d.recent, speech)
	if len(d.recent) > startFrames {
		d.recent = d.recent[1:]
	}

	if !d.inSpeech {
		if !speech {
			return events
		}
		d.inSpeech, d.started = true, false
		d.onset, d.lastVoiced, d.voiced = n, n, 0
		d.utterance = append(d.utterance[:0], d.history...)
	} else {
		d.utterance = append(d.utterance, f...)
	}
	if speech {
		d.voiced++
		d.lastVoiced = n
	}
	if !d.started {
		count := 0
		for _, s := range d.recent {
			if s {
				count++
			}
		}
		if count >= startFrames-1 && d.voiced >= startFrames-1 {
			d.started = true
			events = append(events, Event{Kind: SpeechStart, At: d.at(d.onset)})
		} else if n-d.lastVoiced >= 3 { // a burst that never became speech
			d.inSpeech = false
			return events
		}
	}
	silence := d.at(n - d.lastVoiced)
	if silence >= d.cfg.Hangover || d.at(n-d.onset) >= d.cfg.MaxUtterance {
		events = d.finish(events)
	}
	return events
}

// remember keeps the last PreRoll of audio for the start of the next utterance.
func (d *Detector) remember(f []int16) {
	keep := audio.SamplesFor(Rate, d.cfg.PreRoll) + frameSamples
	d.history = append(d.history, f...)
	if over := len(d.history) - keep; over > 0 {
		d.history = append(d.history[:0], d.history[over:]...)
	}
}

// finish closes the current run with SpeechEnd or SpeechAbort.
func (d *Detector) finish(events []Event) []Event {
	d.inSpeech = false
	end := d.at(d.lastVoiced + 1)
	if !d.started {
		return events
	}
	if d.at(d.voiced) < d.cfg.MinUtterance {
		return append(events, Event{Kind: SpeechAbort, At: end})
	}
	// Keep a short tail after the last voiced frame: final consonants fade out.
	tail := 3
	keep := (d.lastVoiced+1+tail-d.onset)*frameSamples + audio.SamplesFor(Rate, d.cfg.PreRoll)
	utt := d.utterance
	if keep < len(utt) {
		utt = utt[:keep]
	}
	pcm := audio.PCM{Rate: Rate, Samples: append([]int16(nil), utt...)}
	d.utterance = d.utterance[:0]
	return append(events, Event{Kind: SpeechEnd, At: end, Start: d.at(d.onset), Utterance: pcm})
}
