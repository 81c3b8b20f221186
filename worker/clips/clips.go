// Package clips owns the outreach clips of the studio: a script spoken by a lawyer's
// avatar, rendered into an MP4 (H.264/AAC) and/or WebM (VP8/Opus) file by a River job.
//
// A clip row and its job are inserted in one transaction (Store.Queue). The job
// synthesises the script sentence by sentence, renders avatar frames from the viseme
// timeline and pipes raw I420 video and PCM into ffmpeg, which writes temporary files;
// finished files are renamed to a name carrying their content hash and recorded on the
// row in the same step that marks it done. A worker holds a lease on the clip while it
// renders; when a worker dies the lease expires and the sweeper queues the clip again.
// Progress is written to the row and announced with NOTIFY on channel Channel.
package clips

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fayun/avatars"
	"fayun/dialog/tts"
	"fayun/lawyers"
)

// Limits of a clip request.
const (
	// MaxScriptRunes is the longest script accepted, in characters (about five
	// minutes of Mandarin speech at the default voice rate).
	MaxScriptRunes = 1500
	// MaxTitleRunes is the longest title card text.
	MaxTitleRunes = 40
	// MinSpeed and MaxSpeed bound the speaking-rate factor.
	MinSpeed, MaxSpeed = 0.6, 1.6
	// MaxPitchShift bounds the pitch shift in eSpeak pitch units (0–100 scale).
	MaxPitchShift = 25
	// MaxSpeech is the longest speech a clip may contain; longer synthesis fails.
	MaxSpeech = 10 * time.Minute
)

// Status is where a clip is in its life.
type Status string

// The statuses of a clip. Done, Failed and Cancelled are final until a retry.
const (
	Queued       Status = "queued"
	Synthesising Status = "synthesising"
	Rendering    Status = "rendering"
	Encoding     Status = "encoding"
	Done         Status = "done"
	Failed       Status = "failed"
	Cancelled    Status = "cancelled"
)

// Final reports whether s ends a clip's work.
func (s Status) Final() bool { return s == Done || s == Failed || s == Cancelled }

// Format is an output container.
type Format string

// The formats a clip can be rendered to.
const (
	MP4  Format = "mp4"
	WebM Format = "webm"
)

// ContentType returns the MIME type of files of format f.
func (f Format) ContentType() string {
	if f == WebM {
		return "video/webm"
	}
	return "video/mp4"
}

// Size is a supported frame size.
type Size struct{ W, H int }

// Sizes lists the frame sizes a clip can have, smallest first.
var Sizes = []Size{{640, 360}, {1280, 720}}

// String returns "640x360".
func (s Size) String() string { return fmt.Sprintf("%dx%d", s.W, s.H) }

// ParseSize accepts "640x360" or "1280x720" ("×" and "X" work too).
func ParseSize(v string) (Size, error) {
	v = strings.NewReplacer("×", "x", "X", "x").Replace(strings.TrimSpace(v))
	for _, s := range Sizes {
		if s.String() == v {
			return s, nil
		}
	}
	return Size{}, invalid("size", "unsupported size %q: use 640x360 or 1280x720", v)
}

// ErrInvalid is wrapped by every refusal of a clip request; the message is safe to
// show to the person who made the request.
var ErrInvalid = errors.New("invalid clip request")

// RequestError is a refused request: Field names the bad field ("script", "lawyer",
// "size", "formats", "title", "speed", "pitch", "lang").
type RequestError struct {
	Field string
	Msg   string
}

// Error returns the message.
func (e *RequestError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *RequestError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &RequestError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Request is what a person asks for when queuing a clip.
type Request struct {
	Owner     string   // account id of the studio user; "" from the CLI
	LawyerID  int      // whose avatar and voice
	Script    string   // the text to speak, Chinese or English
	Lang      string   // "zh", "en" or "" to detect from the script
	Size      Size     // one of Sizes
	Formats   []Format // at least one of MP4, WebM
	Subtitles bool     // burn the sentences in as subtitles
	Title     string   // optional title card shown over the first seconds
	Speed     float64  // speaking-rate factor, MinSpeed–MaxSpeed; 0 means 1
	Pitch     int      // pitch shift, ±MaxPitchShift
}

// Normalize trims the request, detects the language and fills defaults, then checks
// everything that does not need the database. It returns a *RequestError (wrapping
// ErrInvalid) for bad input.
func (r *Request) Normalize() error {
	r.Script = strings.TrimSpace(strings.ReplaceAll(r.Script, "\r\n", "\n"))
	r.Title = strings.TrimSpace(r.Title)
	if r.Script == "" {
		return invalid("script", "the script is empty")
	}
	if n := utf8.RuneCountInString(r.Script); n > MaxScriptRunes {
		return invalid("script", "the script has %d characters; the limit is %d", n, MaxScriptRunes)
	}
	if !utf8.ValidString(r.Script) {
		return invalid("script", "the script is not valid UTF-8 text")
	}
	if len(Sentences(r.Script)) == 0 {
		return invalid("script", "the script has nothing to say (only punctuation or symbols)")
	}
	if strings.ContainsFunc(r.Title, unicode.IsControl) {
		return invalid("title", "the title must be one line")
	}
	if n := utf8.RuneCountInString(r.Title); n > MaxTitleRunes {
		return invalid("title", "the title has %d characters; the limit is %d", n, MaxTitleRunes)
	}
	switch r.Lang {
	case "":
		r.Lang = DetectLang(r.Script)
	case "zh", "en":
	default:
		return invalid("lang", "unsupported language %q: use zh or en", r.Lang)
	}
	if !slices.Contains(Sizes, r.Size) {
		return invalid("size", "unsupported size %s: use 640x360 or 1280x720", r.Size)
	}
	if err := r.normalizeFormats(); err != nil {
		return err
	}
	if r.Speed == 0 {
		r.Speed = 1
	}
	if r.Speed < MinSpeed || r.Speed > MaxSpeed {
		return invalid("speed", "speed %.2f is outside %.1f–%.1f", r.Speed, MinSpeed, MaxSpeed)
	}
	if r.Pitch < -MaxPitchShift || r.Pitch > MaxPitchShift {
		return invalid("pitch", "pitch shift %d is outside ±%d", r.Pitch, MaxPitchShift)
	}
	if r.LawyerID <= 0 {
		return invalid("lawyer", "choose a lawyer")
	}
	return nil
}

func (r *Request) normalizeFormats() error {
	var out []Format
	for _, f := range r.Formats {
		f = Format(strings.ToLower(strings.TrimSpace(string(f))))
		if f != MP4 && f != WebM {
			return invalid("formats", "unsupported format %q: use mp4 or webm", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return invalid("formats", "choose at least one format (mp4 or webm)")
	}
	slices.Sort(out)
	r.Formats = out
	return nil
}

// Sentences returns the script cut into the sentences that are spoken one at a time,
// leaving out pieces with nothing to say.
func Sentences(script string) []string {
	var out []string
	for _, s := range tts.Split(script) {
		if tts.Clean(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// DetectLang returns "zh" when the script contains Han characters, else "en".
func DetectLang(script string) string {
	if strings.ContainsFunc(script, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		return "zh"
	}
	return "en"
}

// LawyerGetter finds a lawyer of the directory (lawyers.Directory).
type LawyerGetter interface {
	Get(ctx context.Context, id int) (lawyers.Lawyer, error)
}

// checkLawyer refuses an unknown lawyer.
func checkLawyer(ctx context.Context, dir LawyerGetter, id int) (lawyers.Lawyer, error) {
	l, err := dir.Get(ctx, id)
	if errors.Is(err, lawyers.ErrNotFound) {
		return l, invalid("lawyer", "there is no lawyer with id %d", id)
	}
	if err != nil {
		return l, fmt.Errorf("clips: look up lawyer: %w", err)
	}
	return l, nil
}

// persona maps a directory lawyer to what the avatar renderer needs.
func persona(l lawyers.Lawyer) avatars.Persona {
	spec := ""
	if len(l.Specialties) > 0 {
		spec = lawyers.SpecialtyName(l.Specialties[0], "zh")
	}
	return avatars.Persona{ID: l.ID, Name: l.Name, Gender: l.Gender, Specialty: spec,
		Firm: l.Firm, YearsPractice: l.YearsPractice}
}

// Voice returns the voice a clip of lawyer l is spoken in: the lawyer's own voice
// for lang, with the speed factor and pitch shift applied.
func Voice(l lawyers.Lawyer, lang string, speed float64, pitch int) tts.Voice {
	v := tts.VoiceFor(l.ID, l.Gender, lang)
	if speed <= 0 {
		speed = 1
	}
	v.Rate = min(450, max(80, int(float64(v.Rate)*speed+0.5)))
	if v.Speed <= 0 {
		v.Speed = 1
	}
	v.Speed *= speed
	v.Pitch = min(100, max(0, v.Pitch+pitch))
	return v
}
