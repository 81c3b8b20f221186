package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"fayun/avatars"
	"fayun/avatars/viseme"
	"fayun/calls"
	"fayun/dialog/tts"
	"fayun/internal/envflag"
	"fayun/lawyers"
)

func init() {
	register("avatars sheet", "write a contact sheet of all lawyer portraits (PNG)", avatarsSheet)
	register("avatars portrait", "write one lawyer's portrait (PNG)", avatarsPortrait)
	register("avatars clip", "render a lip-synced review clip of a lawyer saying a text (WebM)",
		avatarsClip)
}

// rosterPersonas returns the avatar personas of the built-in roster.
func rosterPersonas() []avatars.Persona {
	roster := lawyers.Roster()
	out := make([]avatars.Persona, len(roster))
	for i, l := range roster {
		out[i] = calls.Persona(l)
	}
	return out
}

func findPersona(id int) (avatars.Persona, error) {
	for _, p := range rosterPersonas() {
		if p.ID == id {
			return p, nil
		}
	}
	return avatars.Persona{}, fmt.Errorf("no lawyer with id %d in the roster", id)
}

func avatarsSheet(_ context.Context, env *environ, args []string) error {
	fs := envflag.New("avatars sheet", env.lookup)
	var out string
	var cols, side int
	fs.StringVar(&out, "out", "avatars.png", "PNG file to write")
	fs.IntVar(&cols, "cols", 14, "portraits per row")
	fs.IntVar(&side, "side", 128, "side of each portrait in pixels")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.stderr, nil))
	var avs []*avatars.Avatar
	for _, p := range rosterPersonas() {
		a, err := avatars.New(p, avatars.Options{Logger: log})
		if err != nil {
			return fmt.Errorf("avatars sheet: %w", err)
		}
		avs = append(avs, a)
	}
	sheet, err := avatars.ContactSheet(avs, cols, side)
	if err != nil {
		return fmt.Errorf("avatars sheet: %w", err)
	}
	if err := writePNGFile(out, sheet); err != nil {
		return fmt.Errorf("avatars sheet: %w", err)
	}
	fmt.Fprintf(env.stdout, "wrote %d portraits to %s\n", len(avs), out)
	return nil
}

func avatarsPortrait(_ context.Context, env *environ, args []string) error {
	fs := envflag.New("avatars portrait", env.lookup)
	var out string
	var id, w, h int
	fs.IntVar(&id, "lawyer", 1, "lawyer id")
	fs.StringVar(&out, "out", "portrait.png", "PNG file to write")
	fs.IntVar(&w, "width", avatars.PortraitWidth, "width in pixels")
	fs.IntVar(&h, "height", avatars.PortraitHeight, "height in pixels")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := rosterAvatar(env, id)
	if err != nil {
		return err
	}
	im, err := a.Portrait(w, h)
	if err != nil {
		return fmt.Errorf("avatars portrait: %w", err)
	}
	return writePNGFile(out, im)
}

// rosterAvatar builds the avatar of lawyer id of the built-in roster.
func rosterAvatar(env *environ, id int) (*avatars.Avatar, error) {
	p, err := findPersona(id)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	a, err := avatars.New(p, avatars.Options{Logger: slog.New(slog.NewTextHandler(env.stderr, nil))})
	if err != nil {
		return nil, fmt.Errorf("avatars: %w", err)
	}
	return a, nil
}

func writePNGFile(path string, im image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, im); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// avatarsClip synthesizes text with eSpeak NG, renders the avatar speaking it
// and muxes both into a WebM through ffmpeg, for reviewing lip-sync by eye.
func avatarsClip(ctx context.Context, env *environ, args []string) error {
	fs := envflag.New("avatars clip", env.lookup)
	var out, text, lang string
	var id, w, h int
	fs.IntVar(&id, "lawyer", 1, "lawyer id")
	fs.StringVar(&text, "text", "您好，我是您的劳动用工律师。请问有什么可以帮您？", "text to speak")
	fs.StringVar(&lang, "lang", "zh", "language of the text: zh or en")
	fs.StringVar(&out, "out", "clip.webm", "WebM file to write")
	fs.IntVar(&w, "width", avatars.DefaultWidth, "frame width")
	fs.IntVar(&h, "height", avatars.DefaultHeight, "frame height")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := rosterAvatar(env, id)
	if err != nil {
		return err
	}
	p := a.Persona()
	sp, err := tts.ESpeak{}.Synthesize(ctx, text, tts.VoiceFor(p.ID, p.Gender, lang))
	if err != nil {
		return fmt.Errorf("avatars clip: synthesize: %w", err)
	}
	if err := renderClip(ctx, a, sp.Audio.Samples, sp.Audio.Rate, sp.Visemes, w, h, out); err != nil {
		return fmt.Errorf("avatars clip: %w", err)
	}
	fmt.Fprintf(env.stdout, "wrote %s (%d visemes, %v)\n", out, len(sp.Visemes),
		sp.Audio.Duration().Round(time.Millisecond))
	return nil
}

// renderClip writes a WebM: 0.6 s listening, the utterance, 0.8 s idle after.
func renderClip(ctx context.Context, a *avatars.Avatar, pcm []int16, rate int,
	tl viseme.Timeline, w, h int, out string) error {
	r, err := a.NewRenderer(w, h)
	if err != nil {
		return err
	}
	lead := 600 * time.Millisecond
	speech := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	total := lead + speech + 800*time.Millisecond
	r.Speak(tl, lead)

	audioR, audioW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "ffmpeg", "-y", "-loglevel", "error",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", fmt.Sprintf("%dx%d", w, h),
		"-r", fmt.Sprint(avatars.FPS), "-i", "pipe:0",
		"-f", "s16le", "-ar", fmt.Sprint(rate), "-ac", "1", "-i", "pipe:3",
		"-c:v", "libvpx", "-b:v", "800k", "-deadline", "realtime", "-cpu-used", "8",
		"-c:a", "libopus", "-shortest", out)
	cmd.ExtraFiles = []*os.File{audioR}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	video, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ffmpeg: %w", err)
	}
	audioR.Close()
	go func() {
		// Silence for the lead-in and the tail, the speech in between.
		lead := make([]int16, int(lead)*rate/int(time.Second))
		tail := make([]int16, rate)
		for _, part := range [][]int16{lead, pcm, tail} {
			if binary.Write(audioW, binary.LittleEndian, part) != nil {
				break
			}
		}
		audioW.Close()
	}()

	f := avatars.NewFrame(w, h)
	frame := time.Second / avatars.FPS
	for t := time.Duration(0); t < total; t += frame {
		st := avatars.Speaking
		switch {
		case t < lead:
			st = avatars.Listening
		case t > lead+speech:
			st = avatars.Idle
		}
		if err := r.Render(f, t, st); err != nil {
			video.Close()
			_ = cmd.Wait()
			return err
		}
		for _, plane := range [][]byte{f.Y, f.Cb, f.Cr} {
			if _, err := video.Write(plane); err != nil {
				_ = cmd.Wait()
				return fmt.Errorf("ffmpeg: %w: %s", err, stderr.String())
			}
		}
	}
	video.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg: %w: %s", err, stderr.String())
	}
	return nil
}
