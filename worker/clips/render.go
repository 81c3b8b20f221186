package clips

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fayun/avatars"
	"fayun/avatars/viseme"
	"fayun/dialog/audio"
	"fayun/dialog/tts"
)

// Timing of a clip around its sentences.
const (
	LeadIn = 500 * time.Millisecond // quiet avatar before the first sentence
	Gap    = 300 * time.Millisecond // pause between sentences
	Tail   = 700 * time.Millisecond // quiet avatar after the last sentence
	// FPS is the frame rate of every clip.
	FPS = avatars.FPS
	// samplesPerFrame is the audio of one video frame at 48 kHz.
	samplesPerFrame = tts.OutputRate / FPS
)

// Cue is one spoken sentence placed on the clip's clock (for subtitles).
type Cue struct {
	Text       string
	Start, End time.Duration
}

// track is the synthesised sound of a whole clip.
type track struct {
	pcm     []int16
	visemes viseme.Timeline
	cues    []Cue
	frames  int
}

// duration returns the clip length: a whole number of frames.
func (t *track) duration() time.Duration { return time.Duration(t.frames) * time.Second / FPS }

// synthesise speaks the sentences one after another in voice v and lays them out on
// the clip clock, calling done after each sentence.
func synthesise(ctx context.Context, synth tts.Synthesizer, sentences []string, v tts.Voice,
	done func(i int)) (*track, error) {
	t := &track{pcm: make([]int16, audio.SamplesFor(tts.OutputRate, LeadIn))}
	for i, s := range sentences {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sp, err := synth.Synthesize(ctx, s, v)
		if errors.Is(err, tts.ErrNoSpeech) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("synthesise sentence %d: %w", i+1, err)
		}
		if sp.Audio.Rate != tts.OutputRate {
			if sp.Audio, err = audio.Resample(sp.Audio, tts.OutputRate); err != nil {
				return nil, fmt.Errorf("synthesise sentence %d: %w", i+1, err)
			}
		}
		if len(t.cues) > 0 {
			t.pcm = append(t.pcm, make([]int16, audio.SamplesFor(tts.OutputRate, Gap))...)
		}
		start := samplesDuration(len(t.pcm))
		t.pcm = append(t.pcm, sp.Audio.Samples...)
		t.visemes = append(t.visemes, sp.Visemes.Shift(start)...)
		t.cues = append(t.cues, Cue{Text: s, Start: start, End: samplesDuration(len(t.pcm))})
		if samplesDuration(len(t.pcm)) > MaxSpeech {
			return nil, permanent(fmt.Errorf("speech is longer than %v", MaxSpeech))
		}
		done(i)
	}
	if len(t.cues) == 0 {
		return nil, permanent(fmt.Errorf("synthesise: %w", tts.ErrNoSpeech))
	}
	t.visemes = append(t.visemes, viseme.Cue{At: samplesDuration(len(t.pcm)), Shape: viseme.Rest})
	want := len(t.pcm) + audio.SamplesFor(tts.OutputRate, Tail)
	t.frames = (want + samplesPerFrame - 1) / samplesPerFrame
	t.pcm = append(t.pcm, make([]int16, t.frames*samplesPerFrame-len(t.pcm))...)
	return t, nil
}

func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / tts.OutputRate
}

// speakingAt reports whether the clip clock t falls inside a sentence.
func (t *track) speakingAt(d time.Duration) bool {
	for _, c := range t.cues {
		if d >= c.Start && d < c.End {
			return true
		}
		if c.Start > d {
			break
		}
	}
	return false
}

// encodeJob says what one ffmpeg run produces.
type encodeJob struct {
	ffmpeg  string
	size    Size
	outputs map[Format]string // temporary file per format
	ass     string            // subtitle file to burn in, or ""
}

// ffmpegArgs returns the command line: raw I420 on stdin, s16le PCM on fd 3, one
// output per format, subtitles burnt in once before the outputs split.
func (j encodeJob) args() []string {
	a := []string{"-hide_banner", "-nostats", "-loglevel", "error",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", j.size.String(),
		"-framerate", strconv.Itoa(FPS), "-i", "pipe:0",
		"-f", "s16le", "-ar", strconv.Itoa(tts.OutputRate), "-ac", "1", "-i", "pipe:3"}
	formats := j.formats()
	labels := make([]string, len(formats))
	for i := range formats {
		labels[i] = "0:v"
	}
	if j.ass != "" {
		graph := "[0:v]subtitles=filename=" + filterQuote(j.ass)
		if len(formats) > 1 {
			graph += fmt.Sprintf(",split=%d", len(formats))
		}
		for i := range formats {
			labels[i] = fmt.Sprintf("[v%d]", i)
			graph += labels[i]
		}
		a = append(a, "-filter_complex", graph)
	}
	for i, f := range formats {
		a = append(a, "-map", labels[i], "-map", "1:a")
		a = append(a, codecArgs(f, j.size)...)
		a = append(a, "-y", j.outputs[f])
	}
	return a
}

func (j encodeJob) formats() []Format {
	var out []Format
	for _, f := range []Format{MP4, WebM} {
		if _, ok := j.outputs[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// codecArgs returns the encoder settings of format f (see docs/clips.md).
func codecArgs(f Format, s Size) []string {
	gop := strconv.Itoa(2 * FPS)
	if f == WebM {
		rate := "800k"
		if s.W > 640 {
			rate = "2M"
		}
		// No look-ahead, one thread (libvpx's VP8 threads spin-wait on each other and
		// burn 3–6 times the CPU on a busy machine), and blocks that barely change (the
		// still background) are not re-encoded (docs/bench-clips.md).
		return []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
			"-lag-in-frames", "0", "-threads", "1", "-static-thresh", "200", "-b:v", rate,
			"-g", gop, "-c:a", "libopus", "-b:a", "64k", "-f", "webm"}
	}
	return []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
		"-pix_fmt", "yuv420p", "-g", gop, "-c:a", "aac", "-b:a", "128k",
		"-movflags", "+faststart", "-f", "mp4"}
}

// filterQuote quotes a file name for an ffmpeg filter graph option value.
func filterQuote(path string) string {
	r := strings.NewReplacer(`\`, `\\\\`, `'`, `'\\\''`, `:`, `\\:`, `,`, `\,`, `;`, `\;`,
		`[`, `\[`, `]`, `\]`)
	return "'" + r.Replace(path) + "'"
}

// encode runs ffmpeg for j, feeding it t's audio and the frames from draw, and calls
// progress with the number of frames written. Cancelling ctx kills ffmpeg.
func encode(ctx context.Context, j encodeJob, t *track, draw func(f []byte, i int) error,
	progress func(frame int)) error {
	cmd := exec.CommandContext(ctx, j.ffmpeg, j.args()...)
	cmd.WaitDelay = 5 * time.Second
	// ffmpeg dies with its worker, so a killed worker leaves no writer behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	audioR, audioW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("encode: audio pipe: %w", err)
	}
	cmd.ExtraFiles = []*os.File{audioR}
	video, err := cmd.StdinPipe()
	if err != nil {
		audioR.Close()
		audioW.Close()
		return fmt.Errorf("encode: video pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		audioR.Close()
		audioW.Close()
		return fmt.Errorf("encode: start %s: %w", j.ffmpeg, err)
	}
	audioR.Close()
	audioDone := make(chan error, 1)
	go func() {
		_, err := audioW.Write(pcmBytes(t.pcm))
		audioW.Close()
		audioDone <- err
	}()

	frameBytes := j.size.W * j.size.H * 3 / 2
	buf := make([]byte, frameBytes)
	var werr error
	for i := 0; i < t.frames && werr == nil; i++ {
		if werr = draw(buf, i); werr != nil {
			break
		}
		if _, err := video.Write(buf); err != nil {
			werr = fmt.Errorf("write frame %d: %w", i, err)
			break
		}
		progress(i + 1)
	}
	video.Close()
	if werr != nil && ctx.Err() == nil {
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	<-audioDone
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case waitErr != nil:
		return fmt.Errorf("ffmpeg: %w: %s", waitErr, stderr.String())
	case werr != nil:
		return fmt.Errorf("encode: %w", werr)
	}
	return nil
}

// pcmBytes returns samples as little-endian bytes.
func pcmBytes(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// frameDrawer returns a draw function rendering the avatar of r for track t.
func frameDrawer(r *avatars.Renderer, t *track, s Size) func(buf []byte, i int) error {
	r.Speak(t.visemes, 0)
	f := avatars.NewFrame(s.W, s.H)
	ySize, cSize := s.W*s.H, (s.W/2)*(s.H/2)
	return func(buf []byte, i int) error {
		at := time.Duration(i) * time.Second / FPS
		state := avatars.Idle
		if t.speakingAt(at) {
			state = avatars.Speaking
		}
		if err := r.Render(f, at, state); err != nil {
			return err
		}
		copy(buf, f.Y[:ySize])
		copy(buf[ySize:], f.Cb[:cSize])
		copy(buf[ySize+cSize:], f.Cr[:cSize])
		return nil
	}
}

// tailBuffer keeps the last 2 KiB written to it (ffmpeg's error output).
type tailBuffer struct{ b bytes.Buffer }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b.Write(p)
	if t.b.Len() > 4096 {
		keep := t.b.Bytes()[t.b.Len()-2048:]
		t.b.Reset()
		t.b.Write(keep)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(t.b.String()) }

var _ io.Writer = (*tailBuffer)(nil)

// permanentError marks a failure that no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// isPermanent reports whether err cannot be cured by trying again.
func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p) || errors.Is(err, ErrInvalid)
}
