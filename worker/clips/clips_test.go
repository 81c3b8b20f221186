package clips_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"fayun/dialog/tts"
	"fayun/lawyers"
	"fayun/store"
	"fayun/store/storetest"
	"fayun/worker"
	"fayun/worker/clips"
)

const twoSentences = "您好，我是您的劳动用工律师。今天讲一讲试用期的规定。"

// env is a database with the roster, a clip service and (optionally) running workers.
type env struct {
	pool *pgxpool.Pool
	svc  *clips.Service
	rc   *worker.Client
	dir  string
}

func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func seed(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := lawyers.NewDirectory(pool).Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// setup builds the service on a fresh database; workers > 0 starts that many workers
// and the sweeper, stopped when the test ends.
func setup(t *testing.T, workers int, change func(*clips.Config)) *env {
	t.Helper()
	pool := storetest.New(t)
	seed(t, pool)
	cfg := clips.Config{Pool: pool, Log: testLog(t), Lawyers: lawyers.NewDirectory(pool),
		Dir: t.TempDir(), Lease: 2 * time.Second, MaxAttempts: 2}
	if change != nil {
		change(&cfg)
	}
	svc, err := clips.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	wcfg := worker.Config{Pool: pool, Log: cfg.Log, MaxWorkers: workers,
		Register: []func(*river.Workers){svc.Register}}
	rc, err := worker.New(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetQueue(rc)
	if workers > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		if err := rc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); svc.Run(ctx) }()
		t.Cleanup(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer scancel()
			_ = rc.Stop(sctx)
			cancel()
			<-done
		})
	}
	return &env{pool: pool, svc: svc, rc: rc, dir: cfg.Dir}
}

func wait(t *testing.T, e *env, id int64, limit time.Duration) clips.Clip {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c, err := e.svc.Wait(ctx, id, func(c clips.Clip) {
		t.Logf("clip %d: %s %d%% %s", c.ID, c.Status, c.Progress, c.Error)
	})
	if err != nil {
		t.Fatalf("wait for clip %d: %v (last %s %d%%)", id, err, c.Status, c.Progress)
	}
	return c
}

// probe is what ffprobe reports of a file.
type probe struct {
	Streams []struct {
		CodecType  string `json:"codec_type"`
		CodecName  string `json:"codec_name"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		RFrameRate string `json:"r_frame_rate"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_format",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkFile checks a finished file with ffprobe against what the clip should be.
func checkFile(t *testing.T, path string, size clips.Size, want time.Duration, vcodec, acodec string) {
	t.Helper()
	p := ffprobe(t, path)
	got, _ := strconv.ParseFloat(p.Format.Duration, 64)
	if math.Abs(got-want.Seconds()) > 0.2 {
		t.Errorf("%s: duration %.3f s, want %.3f ± 0.2 s", filepath.Base(path), got, want.Seconds())
	}
	var video, audio bool
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			video = true
			if s.Width != size.W || s.Height != size.H {
				t.Errorf("%s: %dx%d, want %s", filepath.Base(path), s.Width, s.Height, size)
			}
			if s.RFrameRate != "25/1" {
				t.Errorf("%s: frame rate %s, want 25/1", filepath.Base(path), s.RFrameRate)
			}
			if s.CodecName != vcodec {
				t.Errorf("%s: video codec %s, want %s", filepath.Base(path), s.CodecName, vcodec)
			}
		case "audio":
			audio = true
			if s.CodecName != acodec {
				t.Errorf("%s: audio codec %s, want %s", filepath.Base(path), s.CodecName, acodec)
			}
		}
	}
	if !video || !audio {
		t.Errorf("%s: video stream %v, audio stream %v; want both", filepath.Base(path), video, audio)
	}
}

// expectedDuration synthesises the sentences independently of the worker and lays
// them out as a clip does.
func expectedDuration(t *testing.T, script string, l lawyers.Lawyer, lang string) time.Duration {
	t.Helper()
	v := clips.Voice(l, lang, 1, 0)
	d := clips.LeadIn + clips.Tail
	for i, s := range clips.Sentences(script) {
		sp, err := tts.ESpeak{}.Synthesize(context.Background(), s, v)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			d += clips.Gap
		}
		d += sp.Audio.Duration()
	}
	return d
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestTwoSentencesMP4AndWebM(t *testing.T) {
	e := setup(t, 1, nil)
	ctx := context.Background()
	size := clips.Size{W: 640, H: 360}
	c, err := e.svc.Queue(ctx, clips.Request{LawyerID: 7, Script: twoSentences, Size: size,
		Formats: []clips.Format{clips.WebM, clips.MP4}, Subtitles: true, Title: "试用期"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Lang != "zh" || c.Status != clips.Queued || c.JobID == 0 {
		t.Fatalf("queued clip = %+v", c)
	}
	c = wait(t, e, c.ID, 2*time.Minute)
	if c.Status != clips.Done || c.Progress != 100 || len(c.Files) != 2 {
		t.Fatalf("clip ended %s %d%% (%s) with %d files", c.Status, c.Progress, c.Error, len(c.Files))
	}
	l, err := lawyers.NewDirectory(e.pool).Get(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := expectedDuration(t, twoSentences, l, "zh")
	if d := time.Duration(c.DurationMS) * time.Millisecond; (d - want).Abs() > 60*time.Millisecond {
		t.Errorf("recorded duration %v, want %v (to a frame and a half)", d, want)
	}
	mp4, _ := c.File(clips.MP4)
	webm, _ := c.File(clips.WebM)
	checkFile(t, e.svc.Path(mp4), size, want, "h264", "aac")
	checkFile(t, e.svc.Path(webm), size, want, "vp8", "opus")
	names := listDir(t, e.dir)
	slices.Sort(names)
	wantNames := []string{mp4.Name, webm.Name}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("storage holds %q, want exactly %q", names, wantNames)
	}
	if !strings.HasPrefix(mp4.Name, fmt.Sprintf("clip-%d-%s", c.ID, mp4.SHA256[:16])) {
		t.Errorf("file name %s does not carry the content hash %s", mp4.Name, mp4.SHA256)
	}

	// A second job for the finished clip (a River retry or a recovery) changes nothing.
	before, err := os.Stat(e.svc.Path(mp4))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.rc.Insert(ctx, clips.RenderArgs{ClipID: c.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, e, res.Job.ID)
	after, err := os.Stat(e.svc.Path(mp4))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a second job for a finished clip rewrote its file")
	}
	again, err := e.svc.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != clips.Done || again.Attempts != c.Attempts || !slices.Equal(listDir(t, e.dir), names) {
		t.Errorf("after a second job: %s, %d attempts, files %q", again.Status, again.Attempts,
			listDir(t, e.dir))
	}
}

// waitJob waits until River has finished job id.
func waitJob(t *testing.T, e *env, id int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		j, err := e.rc.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.FinalizedAt != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
}

func TestQueueRefusesBadInput(t *testing.T) {
	e := setup(t, 0, nil)
	ctx := context.Background()
	size := clips.Size{W: 640, H: 360}
	mp4 := []clips.Format{clips.MP4}
	tests := []struct {
		name  string
		req   clips.Request
		field string
	}{
		{"empty", clips.Request{LawyerID: 1, Script: "  \n ", Size: size, Formats: mp4}, "script"},
		{"over-long", clips.Request{LawyerID: 1, Script: strings.Repeat("劳", clips.MaxScriptRunes+1),
			Size: size, Formats: mp4}, "script"},
		{"only punctuation", clips.Request{LawyerID: 1, Script: "。。！？…… —— ,,, !!!", Size: size,
			Formats: mp4}, "script"},
		{"only emoji", clips.Request{LawyerID: 1, Script: "👍👍 🎉", Size: size, Formats: mp4}, "script"},
		{"unknown lawyer", clips.Request{LawyerID: 9999, Script: twoSentences, Size: size,
			Formats: mp4}, "lawyer"},
		{"no lawyer", clips.Request{Script: twoSentences, Size: size, Formats: mp4}, "lawyer"},
		{"unsupported size", clips.Request{LawyerID: 1, Script: twoSentences,
			Size: clips.Size{W: 800, H: 600}, Formats: mp4}, "size"},
		{"unsupported format", clips.Request{LawyerID: 1, Script: twoSentences, Size: size,
			Formats: []clips.Format{"avi"}}, "formats"},
		{"no format", clips.Request{LawyerID: 1, Script: twoSentences, Size: size}, "formats"},
		{"long title", clips.Request{LawyerID: 1, Script: twoSentences, Size: size, Formats: mp4,
			Title: strings.Repeat("标题", 30)}, "title"},
		{"speed", clips.Request{LawyerID: 1, Script: twoSentences, Size: size, Formats: mp4,
			Speed: 3}, "speed"},
		{"language", clips.Request{LawyerID: 1, Script: twoSentences, Size: size, Formats: mp4,
			Lang: "fr"}, "lang"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Queue(ctx, tt.req)
			var re *clips.RequestError
			if !errors.Is(err, clips.ErrInvalid) || !errors.As(err, &re) || re.Field != tt.field {
				t.Fatalf("Queue: %v, want a refusal of field %q", err, tt.field)
			}
		})
	}
	var n int
	if err := e.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM clips) + "+
		"(SELECT count(*) FROM river_job)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d clip rows and jobs after refusals, want 0", n)
	}
	if _, err := clips.ParseSize("1920x1080"); !errors.Is(err, clips.ErrInvalid) {
		t.Errorf("ParseSize(1920x1080) = %v, want a refusal", err)
	}
}

func TestCancelStopsFFmpegAndCleansUp(t *testing.T) {
	e := setup(t, 1, nil)
	ctx := context.Background()
	script := strings.Repeat("用人单位与劳动者约定试用期，应当符合法律规定的期限。", 12)
	c, err := e.svc.Queue(ctx, clips.Request{LawyerID: 2, Script: script,
		Size: clips.Size{W: 1280, H: 720}, Formats: []clips.Format{clips.MP4}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, c.ID, func(c clips.Clip) bool { return c.Status == clips.Rendering && c.Progress >= 15 })
	if err := e.svc.Cancel(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	c = wait(t, e, c.ID, time.Minute)
	if c.Status != clips.Cancelled || len(c.Files) != 0 {
		t.Fatalf("after cancel: %s with %d files", c.Status, len(c.Files))
	}
	// The worker notices within a lease renewal, kills ffmpeg and removes its files.
	deadline := time.Now().Add(15 * time.Second)
	for len(listDir(t, e.dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if names := listDir(t, e.dir); len(names) > 0 {
		t.Errorf("files left after cancel: %q", names)
	}
	if err := e.svc.Cancel(ctx, c.ID); !errors.Is(err, clips.ErrState) {
		t.Errorf("second cancel = %v, want ErrState", err)
	}
	waitJob(t, e, c.JobID)
	if j, _ := e.rc.JobGet(ctx, c.JobID); j.State != "cancelled" {
		t.Errorf("job state %s, want cancelled", j.State)
	}
}

// waitFor polls clip id until ok or a minute passes.
func waitFor(t *testing.T, e *env, id int64, ok func(clips.Clip) bool) clips.Clip {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := e.svc.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(c) {
			return c
		}
		if c.Status.Final() || time.Now().After(deadline) {
			t.Fatalf("clip %d reached %s %d%% (%s) without the awaited state", id, c.Status,
				c.Progress, c.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFailureReasonAndRetry(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-ffmpeg")
	e := setup(t, 1, func(c *clips.Config) { c.FFmpeg = missing; c.MaxAttempts = 1 })
	ctx := context.Background()
	c, err := e.svc.Queue(ctx, clips.Request{LawyerID: 3, Script: "Hello. This is a test.",
		Size: clips.Size{W: 640, H: 360}, Formats: []clips.Format{clips.MP4}})
	if err != nil {
		t.Fatal(err)
	}
	c = wait(t, e, c.ID, time.Minute)
	if c.Status != clips.Failed || !strings.Contains(c.Error, "no-ffmpeg") {
		t.Fatalf("clip %s with reason %q, want failed naming the missing ffmpeg", c.Status, c.Error)
	}
	if names := listDir(t, e.dir); len(names) > 0 {
		t.Errorf("files left after failure: %q", names)
	}
	if _, err := e.svc.Retry(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	c = wait(t, e, c.ID, time.Minute)
	if c.Status != clips.Failed || c.Attempts != 1 {
		t.Errorf("retried clip: %s after %d attempts", c.Status, c.Attempts)
	}
	if _, err := e.svc.Retry(ctx, 424242); !errors.Is(err, clips.ErrNotFound) {
		t.Errorf("retry of a missing clip = %v, want ErrNotFound", err)
	}
}

// openDB returns the URL of a fresh, migrated database with the roster.
func openDB(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := storetest.NewDatabase(t)
	pool, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := store.Migrate(context.Background(), pool, testLog(t)); err != nil {
		t.Fatal(err)
	}
	seed(t, pool)
	return url, pool
}

func TestSubscribeSeesChangesAndCloses(t *testing.T) {
	e := setup(t, 0, nil)
	ch, stop := e.svc.Subscribe()
	defer stop()
	next := func() (int64, bool) {
		select {
		case id, ok := <-ch:
			return id, ok
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
			return 0, false
		}
	}
	if id, _ := next(); id != 0 {
		t.Fatalf("first event %d, want 0 (connected)", id)
	}
	c, err := e.svc.Queue(context.Background(), clips.Request{LawyerID: 4, Script: "Hello there.",
		Size: clips.Size{W: 640, H: 360}, Formats: []clips.Format{clips.MP4}})
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := next(); id != c.ID {
		t.Fatalf("event for clip %d, want %d", id, c.ID)
	}
	if err := e.svc.Cancel(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if id, _ := next(); id != c.ID {
		t.Fatalf("event for clip %d after cancel, want %d", id, c.ID)
	}
	e.svc.CloseEvents()
	if _, ok := next(); ok {
		t.Fatal("channel still open after CloseEvents")
	}
	if _, ok := <-func() <-chan int64 { c, _ := e.svc.Subscribe(); return c }(); ok {
		t.Fatal("Subscribe after CloseEvents gave an open channel")
	}
}
