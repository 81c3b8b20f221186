package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/dialog/tts"
	"fayun/internal/envflag"
	"fayun/lawyers"
	"fayun/worker"
	"fayun/worker/clips"
)

func init() {
	register("clips make", "queue a clip of a lawyer's avatar speaking a script, wait, copy the file",
		runClipsMake)
}

// clipSettings are the settings of clip storage and rendering (FAYUN_CLIP_*).
type clipSettings struct {
	dir      string
	ffmpeg   string
	timeout  time.Duration
	attempts int
	lease    time.Duration
	speech   *speechSettings
	fs       *envflag.Set
}

// register binds the clip settings to fs. It reuses the speech engine settings when
// the command already has them.
func (c *clipSettings) register(fs *envflag.Set) {
	fs.String(&c.dir, "clip-dir", filepath.Join("var", "clips"), "directory of finished clip files")
	fs.String(&c.ffmpeg, "ffmpeg", "ffmpeg", "ffmpeg executable used to encode clips")
	fs.Duration(&c.timeout, "clip-timeout", 20*time.Minute, "time limit of one clip render attempt")
	fs.Int(&c.attempts, "clip-attempts", 3, "attempts per clip before it fails (1 to 10)")
	fs.Duration(&c.lease, "clip-lease", 15*time.Second,
		"a clip whose worker has not renewed its lease for this long is queued again")
	if fs.Lookup("tts") == nil {
		c.speech = registerSpeechSettings(fs)
	}
	c.fs = fs
}

func (c *clipSettings) validate() error {
	if c.attempts < 1 || c.attempts > 10 {
		return fmt.Errorf("FAYUN_CLIP_ATTEMPTS: want 1 to 10, got %d", c.attempts)
	}
	if c.timeout < time.Minute {
		return fmt.Errorf("FAYUN_CLIP_TIMEOUT: want at least 1m, got %s", c.timeout)
	}
	if c.lease < time.Second {
		return fmt.Errorf("FAYUN_CLIP_LEASE: want at least 1s, got %s", c.lease)
	}
	if c.dir == "" {
		return errors.New("FAYUN_CLIP_DIR: must not be empty")
	}
	return nil
}

// ttsConfig returns the text-to-speech settings, whoever registered them.
func (c *clipSettings) ttsConfig() tts.Config {
	if c.speech != nil {
		return c.speech.tts
	}
	get := func(name string) string {
		if f := c.fs.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	cfg := tts.Config{Engine: get("tts"), BaseURL: get("tts-base-url"), Model: get("tts-model"),
		APIKey: get("tts-api-key"), Voice: get("tts-voice")}
	cfg.Timeout, _ = time.ParseDuration(get("tts-timeout"))
	return cfg
}

// service builds the clip service on pool.
func (c *clipSettings) service(pool *pgxpool.Pool, log *slog.Logger) (*clips.Service, error) {
	synth, err := tts.New(c.ttsConfig())
	if err != nil {
		return nil, fmt.Errorf("clips: speech engine: %w", err)
	}
	return clips.New(clips.Config{Pool: pool, Log: log, Lawyers: lawyers.NewDirectory(pool),
		Speech: synth, Dir: c.dir, FFmpeg: c.ffmpeg, Timeout: c.timeout,
		MaxAttempts: c.attempts, Lease: c.lease})
}

// backgroundJobs holds the services whose River workers this process may run.
type backgroundJobs struct {
	clips *clips.Service
	wg    sync.WaitGroup
}

func newBackgroundJobs(s *serveSettings, pool *pgxpool.Pool,
	log *slog.Logger) (*backgroundJobs, error) {
	cs, err := s.clips.service(pool, log)
	if err != nil {
		return nil, err
	}
	return &backgroundJobs{clips: cs}, nil
}

// attach gives the services the River client that inserts their jobs.
func (b *backgroundJobs) attach(rc *worker.Client) { b.clips.SetQueue(rc) }

// start runs the services' own loops (the clip sweeper) until ctx ends; call it only
// in processes that run workers.
func (b *backgroundJobs) start(ctx context.Context) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.clips.Run(ctx)
	}()
}

// wait waits for the loops started by start.
func (b *backgroundJobs) wait() { b.wg.Wait() }

func runClipsMake(ctx context.Context, env *environ, args []string) error {
	fs := envflag.New("clips make", env.lookup)
	var base baseSettings
	base.register(fs)
	var cs clipSettings
	cs.register(fs)
	var lawyerID int
	var script, out, format, size, lang, title string
	var subtitles bool
	var speed float64
	var pitch int
	fs.IntVar(&lawyerID, "lawyer", 0, "lawyer id (see /api/lawyers)")
	fs.StringVar(&script, "script", "", "UTF-8 text file with the script")
	fs.StringVar(&out, "out", "", "file to write (.mp4 or .webm)")
	fs.StringVar(&format, "format", "", "mp4 or webm (default: from --out, else mp4)")
	fs.StringVar(&size, "size", "640x360", "frame size: 640x360 or 1280x720")
	fs.StringVar(&lang, "lang", "", "zh or en (default: detected from the script)")
	fs.StringVar(&title, "title", "", "title card text shown over the first seconds")
	fs.BoolVar(&subtitles, "subtitles", true, "burn the sentences in as subtitles")
	fs.Float64Var(&speed, "speed", 1, "speaking-rate factor (0.6 to 1.6)")
	fs.IntVar(&pitch, "pitch", 0, "pitch shift (-25 to 25)")
	if err := parseArgs(fs, env, args); err != nil {
		return err
	}
	if lawyerID == 0 || script == "" || out == "" {
		return usageError{"usage: fayun clips make --lawyer ID --script F.txt --out F.mp4 " +
			"[--format mp4|webm] [--size 640x360]"}
	}
	if err := errors.Join(base.validate(), cs.validate()); err != nil {
		return err
	}
	if format == "" {
		format = "mp4"
		if strings.EqualFold(filepath.Ext(out), ".webm") {
			format = "webm"
		}
	}
	text, err := readScript(script)
	if err != nil {
		return err
	}
	sz, err := clips.ParseSize(size)
	if err != nil {
		return usageError{err.Error()}
	}
	req := clips.Request{LawyerID: lawyerID, Script: text, Lang: lang, Size: sz,
		Formats: []clips.Format{clips.Format(format)}, Subtitles: subtitles, Title: title,
		Speed: speed, Pitch: pitch}
	return makeClip(ctx, env, &base, &cs, req, out)
}

func readScript(name string) (string, error) {
	st, err := os.Stat(name)
	if err == nil && st.Size() > 1<<20 {
		return "", usageError{fmt.Sprintf("script %s is over 1 MiB", name)}
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("read script: %w", err)
	}
	return string(b), nil
}

// makeClip queues req (with an insert-only client: the workers of `fayun serve` or
// `fayun worker` render it), follows its progress and copies the file to out.
func makeClip(ctx context.Context, env *environ, base *baseSettings, cs *clipSettings,
	req clips.Request, out string) error {
	log := base.logger(env.stderr)
	pool, err := base.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc, err := cs.service(pool, log)
	if err != nil {
		return err
	}
	rc, err := worker.New(worker.Config{Pool: pool, Log: log})
	if err != nil {
		return err
	}
	svc.SetQueue(rc)
	c, err := svc.Queue(ctx, req)
	if errors.Is(err, clips.ErrInvalid) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "clip %d queued (job %d); waiting for a worker\n", c.ID, c.JobID)
	c, err = svc.Wait(ctx, c.ID, func(c clips.Clip) {
		line := fmt.Sprintf("clip %d: %s %d%%", c.ID, c.Status, c.Progress)
		if c.Error != "" {
			line += " (" + c.Error + ")"
		}
		fmt.Fprintln(env.stderr, line)
	})
	if err != nil {
		return err
	}
	if c.Status != clips.Done {
		return fmt.Errorf("clip %d %s: %s", c.ID, c.Status, c.Error)
	}
	return copyClip(svc, c, req.Formats[0], out, env)
}

// copyClip copies the finished file to out through a temporary name.
func copyClip(svc *clips.Service, c clips.Clip, f clips.Format, out string, env *environ) error {
	src, file, err := svc.Open(c, f)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), ".clip-*.part")
	if err != nil {
		return fmt.Errorf("clips make: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("clips make: copy: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("clips make: copy: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("clips make: %w", err)
	}
	fmt.Fprintf(env.stdout, "wrote %s (%d bytes, %.1f s, sha256 %s)\n", out, file.Bytes,
		float64(c.DurationMS)/1000, file.SHA256[:16])
	return nil
}
