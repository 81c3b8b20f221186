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

// Faces keeps one avatar per lawyer and one shared idle video stream per avatar that
// somebody is watching. The idle loop is encoded once and sent to every caller of that
// lawyer whose avatar is not speaking.
type Faces struct {
	log   *slog.Logger
	video media.VideoConfig

	mu    sync.Mutex
	faces map[int]*face
	warm  sync.WaitGroup // background cache warm-ups
}

type face struct {
	avatar  *avatars.Avatar
	idle    *media.IdleStream
	viewers int
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

// Avatar returns the lawyer's avatar, building it on first use.
func (f *Faces) Avatar(l lawyers.Lawyer) (*avatars.Avatar, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.avatarLocked(l)
}

func (f *Faces) avatarLocked(l lawyers.Lawyer) (*avatars.Avatar, error) {
	if fc, ok := f.faces[l.ID]; ok {
		return fc.avatar, nil
	}
	a, err := avatars.New(Persona(l), avatars.Options{Logger: f.log})
	if err != nil {
		return nil, fmt.Errorf("calls: avatar of lawyer %d: %w", l.ID, err)
	}
	f.faces[l.ID] = &face{avatar: a}
	return a, nil
}

// Watch returns the lawyer's avatar and shared idle stream, encoding the idle loop on
// first use, and counts one more viewer. Call the returned release when the call ends.
func (f *Faces) Watch(l lawyers.Lawyer) (*avatars.Avatar, *media.IdleStream, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.avatarLocked(l)
	if err != nil {
		return nil, nil, nil, err
	}
	fc := f.faces[l.ID]
	if fc.idle == nil {
		start := time.Now()
		r, err := a.NewRenderer(f.size())
		if err != nil {
			return nil, nil, nil, fmt.Errorf("calls: idle renderer of lawyer %d: %w", l.ID, err)
		}
		idle, err := media.NewIdleStream(media.IdleStreamConfig{Video: f.video,
			Loop: avatars.IdleLoopPeriod}, func(dst *image.YCbCr, t time.Duration) {
			_ = r.Render(dst, t, avatars.Idle)
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("calls: idle stream of lawyer %d: %w", l.ID, err)
		}
		fc.idle = idle
		f.log.Info("idle stream started", "lawyer_id", l.ID, "took", time.Since(start))
		// Draw every cached layer of the speaking renderer now, off the call's path, so
		// the first answer's frames do not stall on a cache miss.
		if warm, err := a.NewRenderer(f.size()); err == nil {
			f.warm.Go(warm.Warm)
		}
	}
	fc.viewers++
	var once sync.Once
	release := func() { once.Do(func() { f.release(l.ID) }) }
	return a, fc.idle, release, nil
}

func (f *Faces) release(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.faces[id]
	if fc == nil {
		return
	}
	fc.viewers--
	if fc.viewers == 0 && fc.idle != nil {
		fc.idle.Close()
		fc.idle = nil
		f.log.Info("idle stream stopped", "lawyer_id", id)
	}
}

// Wait waits for background cache warm-ups to finish.
func (f *Faces) Wait() { f.warm.Wait() }

// IdleStreams returns how many shared idle streams are running.
func (f *Faces) IdleStreams() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, fc := range f.faces {
		if fc.idle != nil {
			n++
		}
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
