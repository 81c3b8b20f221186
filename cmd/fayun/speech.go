package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fayun/dialog/audio"
	"fayun/dialog/stt"
	"fayun/dialog/tts"
	"fayun/dialog/vad"
	"fayun/internal/envflag"
	"fayun/lawyers"
)

func init() {
	register("speech say", "speak text to a 48 kHz WAV file and a viseme timeline", runSpeechSay)
	register("speech hear", "print the transcript of a WAV file", runSpeechHear)
}

// speechSettings are the speech engine settings shared by every command that
// speaks or listens (FAYUN_STT*, FAYUN_TTS*, FAYUN_SPEECH_CACHE).
type speechSettings struct {
	stt stt.Config
	tts tts.Config
}

// registerSpeechSettings binds the speech engine settings to fs.
func registerSpeechSettings(fs *envflag.Set) *speechSettings {
	s := &speechSettings{}
	fs.String(&s.stt.Engine, "stt", "pocketsphinx", "speech-to-text engine: pocketsphinx or openai")
	fs.String(&s.stt.BaseURL, "stt-base-url", "", "OpenAI-compatible API root for speech-to-text, with /v1")
	fs.String(&s.stt.Model, "stt-model", "whisper-1", "speech-to-text model (openai engine)")
	fs.String(&s.stt.APIKey, "stt-api-key", "", "API key for the speech-to-text server")
	fs.Duration(&s.stt.Timeout, "stt-timeout", 20*time.Second, "time limit per transcription attempt")
	fs.String(&s.stt.CacheDir, "speech-cache", "", "directory for generated recognition models "+
		"(default: the user cache directory)")
	fs.String(&s.tts.Engine, "tts", "espeak", "text-to-speech engine: espeak or openai")
	fs.String(&s.tts.BaseURL, "tts-base-url", "", "OpenAI-compatible API root for text-to-speech, with /v1")
	fs.String(&s.tts.Model, "tts-model", "tts-1", "text-to-speech model (openai engine)")
	fs.String(&s.tts.APIKey, "tts-api-key", "", "API key for the text-to-speech server")
	fs.String(&s.tts.Voice, "tts-voice", "", "one voice name for every lawyer (openai engine; "+
		"default: a voice per lawyer)")
	fs.Duration(&s.tts.Timeout, "tts-timeout", 20*time.Second, "time limit per synthesis attempt")
	return s
}

// voiceFor returns the voice of a lawyer of the roster (0 for the default voice).
func voiceFor(lawyerID int, lang string) (tts.Voice, error) {
	if lawyerID == 0 {
		return tts.DefaultVoice(lang), nil
	}
	for _, l := range lawyers.Roster() {
		if l.ID == lawyerID {
			return tts.VoiceFor(l.ID, l.Gender, lang), nil
		}
	}
	return tts.Voice{}, usageError{fmt.Sprintf("no lawyer with id %d", lawyerID)}
}

func runSpeechSay(ctx context.Context, env *environ, args []string) error {
	fs := envflag.New("speech say", env.lookup)
	fs.SetOutput(env.stderr)
	var lang, text, out, timeline string
	var lawyerID int
	fs.StringVar(&lang, "lang", "en", "language: zh or en")
	fs.IntVar(&lawyerID, "lawyer", 0, "speak in this lawyer's voice (0: the default voice)")
	fs.StringVar(&text, "text", "", "text to speak")
	fs.StringVar(&out, "out", "", "WAV file to write (48 kHz mono 16-bit)")
	fs.StringVar(&timeline, "timeline", "", "JSON file for the viseme timeline")
	settings := registerSpeechSettings(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if text == "" && fs.NArg() > 0 {
		text = strings.Join(fs.Args(), " ")
	}
	if lang != "zh" && lang != "en" {
		return usageError{fmt.Sprintf("--lang must be zh or en, not %q", lang)}
	}
	if text == "" || out == "" {
		return usageError{"usage: fayun speech say [--lang zh|en] [--lawyer ID] --text T --out F.wav " +
			"[--timeline F.json]"}
	}
	voice, err := voiceFor(lawyerID, lang)
	if err != nil {
		return err
	}
	synth, err := tts.New(settings.tts)
	if err != nil {
		return err
	}

	// Speak sentence by sentence, as a call does, and join the pieces.
	var pcm audio.PCM
	var cues []json.RawMessage
	pcm.Rate = tts.OutputRate
	for part := range tts.Stream(ctx, synth, text, voice) {
		if part.Err != nil {
			return fmt.Errorf("speech say: %w", part.Err)
		}
		for _, c := range part.Speech.Visemes.Shift(pcm.Duration()) {
			b, _ := json.Marshal(c)
			cues = append(cues, b)
		}
		pcm.Samples = append(pcm.Samples, part.Speech.Audio.Samples...)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(pcm.Samples) == 0 {
		return fmt.Errorf("speech say: %w", tts.ErrNoSpeech)
	}
	if err := writeWAVFile(out, pcm); err != nil {
		return err
	}
	if timeline != "" {
		b, _ := json.MarshalIndent(map[string]any{
			"sample_rate": pcm.Rate, "duration_ms": pcm.Duration().Milliseconds(),
			"voice": voice.String(), "cues": cues,
		}, "", " ")
		if err := os.WriteFile(timeline, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("speech say: %w", err)
		}
	}
	fmt.Fprintf(env.stderr, "wrote %s: %v at %d Hz, %d visemes, voice %s\n",
		out, pcm.Duration().Round(time.Millisecond), pcm.Rate, len(cues), voice)
	return nil
}

func writeWAVFile(path string, pcm audio.PCM) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("speech say: %w", err)
	}
	if err := audio.WriteWAV(f, pcm); err != nil {
		f.Close()
		return fmt.Errorf("speech say: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("speech say: %w", err)
	}
	return nil
}

// maxHearFile is the longest file speech hear accepts; longer recordings are
// refused before they are decoded.
const maxHearFile = 15 * time.Minute

// wholeUtterance is the longest file transcribed in one piece; longer files are
// cut into turns by the voice activity detector first.
const wholeUtterance = 30 * time.Second

func runSpeechHear(ctx context.Context, env *environ, args []string) error {
	fs := envflag.New("speech hear", env.lookup)
	fs.SetOutput(env.stderr)
	var lang string
	fs.StringVar(&lang, "lang", "en", "language of the speech: en or zh (zh needs the openai engine)")
	settings := registerSpeechSettings(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: fayun speech hear [--lang en|zh] F.wav"}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("speech hear: %w", err)
	}
	pcm, err := audio.ReadWAV(f, maxHearFile)
	f.Close()
	if err != nil {
		return fmt.Errorf("speech hear: %s: %w", fs.Arg(0), err)
	}
	rec, err := stt.New(settings.stt)
	if err != nil {
		return err
	}
	defer rec.Close()
	if pcm, err = audio.Resample(pcm, audio.RateSTT); err != nil {
		return fmt.Errorf("speech hear: %w", err)
	}
	for _, u := range utterances(pcm) {
		r, err := rec.Recognize(ctx, u, lang)
		if errors.Is(err, stt.ErrLanguage) {
			return fmt.Errorf("speech hear: --lang %s needs FAYUN_STT=openai: %w", lang, err)
		}
		if err != nil {
			return fmt.Errorf("speech hear: %w", err)
		}
		if r.Text != "" {
			fmt.Fprintln(env.stdout, r.Text)
		}
	}
	return nil
}

// utterances returns pcm whole when it is short, and otherwise the turns the voice
// activity detector finds in it.
func utterances(pcm audio.PCM) []audio.PCM {
	if pcm.Duration() <= wholeUtterance {
		return []audio.PCM{pcm}
	}
	d := vad.New(vad.Config{MaxUtterance: wholeUtterance})
	var out []audio.PCM
	for _, e := range append(d.Push(pcm.Samples), d.Flush()...) {
		if e.Kind == vad.SpeechEnd {
			out = append(out, e.Utterance)
		}
	}
	return out
}
