package calls

import (
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"fayun/avatars"
	"fayun/lawyers"
	"fayun/media"
)

// idleLinger is how long a shared idle stream outlives its last viewer, so that callers
// who come and go do not pay for encoding the loop again each time.
const idleLinger = 2 * time.Minute

// Faces keeps one avatar per lawyer and one shared idle video stream per avatar that
// somebody is watching. The idle loop is encoded once and sent to every caller of that
// lawyer whose avatar is not speaking.
type Faces struct {
	log   *slog.Logger
	video media.VideoConfig

	mu    sync.Mutex // guards faces; never held while drawing or encoding
	faces map[int]*face
	warm  sync.WaitGroup // background cache warm-ups
}

// face is one lawyer's avatar and idle stream. Its own lock serialises building the
// idle stream, so joins for other lawyers never wait for it.
type face struct {
	avatar *avatars.Avatar

	mu      sync.Mutex
	idle    *media.IdleStream
	viewers int
	linger  *time.Timer // closes idle after the last viewer left
}

// NewFaces returns an empty cache producing video of the given size.
func NewFaces(log *slog.Logger, video media.VideoConfig) *Faces {
	return &Faces{log: log, video: video, faces: map[int]*face{}}
}

// Persona maps a directory lawyer to what the renderer needs.
func Persona(l lawyers.Lawyer) avatars.Persona {
	spec := ""
	if len(l.Specialties) > 0 {
		spec = lawyers.SpecialtyName(l.Specialties[0], "zh")
	}
	return avatars.Persona{ID: l.ID, Name: l.Name, Gender: l.Gender, Specialty: spec,
		Firm: l.Firm, YearsPractice: l.YearsPractice}
}

// face returns the lawyer's face, creating the avatar on first use (cheap: drawing
// happens later, per size).
func (f *Faces) face(l lawyers.Lawyer) (*face, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fc, ok := f.faces[l.ID]; ok {
		return fc, nil
	}
	a, err := avatars.New(Persona(l), avatars.Options{Logger: f.log})
	if err != nil {
		return nil, fmt.Errorf("calls: avatar of lawyer %d: %w", l.ID, err)
	}
	fc := &face{avatar: a}
	f.faces[l.ID] = fc
	return fc, nil
}

// Avatar returns the lawyer's avatar.
func (f *Faces) Avatar(l lawyers.Lawyer) (*avatars.Avatar, error) {
	fc, err := f.face(l)
	if err != nil {
		return nil, err
	}
	return fc.avatar, nil
}

// Watch returns the lawyer's avatar and shared idle stream, encoding the idle loop on
// first use, and counts one more viewer. Call the returned release when the call ends.
func (f *Faces) Watch(l lawyers.Lawyer) (*avatars.Avatar, *media.IdleStream, func(), error) {
	fc, err := f.face(l)
	if err != nil {
		return nil, nil, nil, err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.linger != nil {
		fc.linger.Stop()
		fc.linger = nil
	}
	if fc.idle == nil {
		if fc.idle, err = f.startIdle(fc.avatar, l.ID); err != nil {
			return nil, nil, nil, err
		}
	}
	fc.viewers++
	var once sync.Once
	release := func() { once.Do(func() { f.release(fc, l.ID) }) }
	return fc.avatar, fc.idle, release, nil
}

// startIdle renders and encodes the avatar's idle loop, and warms the speaking
// renderer's caches in the background so the first answer does not stall on them.
func (f *Faces) startIdle(a *avatars.Avatar, id int) (*media.IdleStream, error) {
	start := time.Now()
	r, err := a.NewRenderer(f.size())
	if err != nil {
		return nil, fmt.Errorf("calls: idle renderer of lawyer %d: %w", id, err)
	}
	idle, err := media.NewIdleStream(media.IdleStreamConfig{Video: f.video,
		Loop: avatars.IdleLoopPeriod}, func(dst *image.YCbCr, t time.Duration) {
		_ = r.Render(dst, t, avatars.Idle)
	})
	if err != nil {
		return nil, fmt.Errorf("calls: idle stream of lawyer %d: %w", id, err)
	}
	f.log.Info("idle stream started", "lawyer_id", id, "took", time.Since(start))
	if warm, err := a.NewRenderer(f.size()); err == nil {
		f.warm.Go(warm.Warm)
	}
	return idle, nil
}

func (f *Faces) release(fc *face, id int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.viewers--
	if fc.viewers > 0 || fc.idle == nil {
		return
	}
	idle := fc.idle
	fc.linger = time.AfterFunc(idleLinger, func() {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		if fc.viewers == 0 && fc.idle == idle {
			fc.idle.Close()
			fc.idle = nil
			fc.linger = nil
			f.log.Info("idle stream stopped", "lawyer_id", id)
		}
	})
}

// Close stops every idle stream, watched or lingering, and waits for warm-ups.
func (f *Faces) Close() {
	f.mu.Lock()
	all := make([]*face, 0, len(f.faces))
	for _, fc := range f.faces {
		all = append(all, fc)
	}
	f.mu.Unlock()
	for _, fc := range all {
		fc.mu.Lock()
		if fc.linger != nil {
			fc.linger.Stop()
			fc.linger = nil
		}
		if fc.idle != nil {
			fc.idle.Close()
			fc.idle = nil
		}
		fc.mu.Unlock()
	}
	f.warm.Wait()
}

// Wait waits for background cache warm-ups to finish.
func (f *Faces) Wait() { f.warm.Wait() }

// IdleStreams returns how many shared idle streams are running, lingering ones
// included.
func (f *Faces) IdleStreams() int {
	f.mu.Lock()
	all := make([]*face, 0, len(f.faces))
	for _, fc := range f.faces {
		all = append(all, fc)
	}
	f.mu.Unlock()
	n := 0
	for _, fc := range all {
		fc.mu.Lock()
		if fc.idle != nil {
			n++
		}
		fc.mu.Unlock()
	}
	return n
}

func (f *Faces) size() (int, int) {
	w, h := f.video.Width, f.video.Height
	if w == 0 || h == 0 {
		return avatars.DefaultWidth, avatars.DefaultHeight
	}
	return w, h
}
