package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fayun/dialog/audio"
)

func speechEnv(t *testing.T, vars map[string]string) (*environ, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	vars["FAYUN_SPEECH_CACHE"] = t.TempDir()
	return &environ{stdout: &out, stderr: &errOut, lookup: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}, &out
}

func TestSpeechSayThenHear(t *testing.T) {
	dir := t.TempDir()
	wav, tl := filepath.Join(dir, "q.wav"), filepath.Join(dir, "q.json")
	env, out := speechEnv(t, map[string]string{})
	ctx := context.Background()
	text := "How long is the limitation period for a contract claim?"
	if err := dispatch(ctx, env, []string{"speech", "say", "--lawyer", "7", "--text", text,
		"--out", wav, "--timeline", tl}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(wav)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := audio.ReadWAV(f, 0)
	f.Close()
	if err != nil || pcm.Rate != 48000 || pcm.Duration().Seconds() < 2 {
		t.Fatalf("WAV: %v, %d Hz, %v", err, pcm.Rate, pcm.Duration())
	}
	var timeline struct {
		SampleRate int `json:"sample_rate"`
		Cues       []struct {
			AtMs  float64 `json:"at_ms"`
			Shape string  `json:"shape"`
		} `json:"cues"`
	}
	b, _ := os.ReadFile(tl)
	if err := json.Unmarshal(b, &timeline); err != nil || len(timeline.Cues) < 10 || timeline.SampleRate != 48000 {
		t.Fatalf("timeline: %v, %d cues", err, len(timeline.Cues))
	}
	if err := dispatch(ctx, env, []string{"speech", "hear", wav}); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(out.String())
	t.Logf("heard %q", got)
	if !strings.Contains(got, "limitation period") || !strings.Contains(got, "contract claim") {
		t.Errorf("heard %q", got)
	}
}

func TestSpeechBadInput(t *testing.T) {
	dir := t.TempDir()
	notWAV := filepath.Join(dir, "x.wav")
	os.WriteFile(notWAV, []byte("this is not a wave file at all"), 0o644)
	env, _ := speechEnv(t, map[string]string{})
	ctx := context.Background()
	for _, args := range [][]string{
		{"speech", "hear", notWAV},
		{"speech", "hear", filepath.Join(dir, "missing.wav")},
		{"speech", "hear"},
		{"speech", "say", "--text", "🎉🎉", "--out", filepath.Join(dir, "e.wav")},
		{"speech", "say", "--lang", "fr", "--text", "bonjour", "--out", filepath.Join(dir, "f.wav")},
		{"speech", "say", "--lawyer", "9999", "--text", "hi", "--out", filepath.Join(dir, "g.wav")},
	} {
		if err := dispatch(ctx, env, args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	env, _ = speechEnv(t, map[string]string{"FAYUN_STT": "nonsense"})
	zh := filepath.Join(dir, "zh.wav")
	if err := dispatch(ctx, env, []string{"speech", "say", "--lang", "zh", "--text", "您好。", "--out", zh}); err != nil {
		t.Fatal(err)
	}
	if err := dispatch(ctx, env, []string{"speech", "hear", zh}); err == nil {
		t.Error("unknown engine: no error")
	}
	env, _ = speechEnv(t, map[string]string{})
	if err := dispatch(ctx, env, []string{"speech", "hear", "--lang", "zh", zh}); err == nil ||
		!strings.Contains(err.Error(), "FAYUN_STT=openai") {
		t.Errorf("Chinese with PocketSphinx: %v", err)
	}
}

// TestSpeechHearLongFile: a ten-minute recording is cut into turns by the voice
// activity detector and only the speech in it is transcribed.
func TestSpeechHearLongFile(t *testing.T) {
	dir := t.TempDir()
	env, out := speechEnv(t, map[string]string{})
	ctx := context.Background()
	q := filepath.Join(dir, "q.wav")
	say := []string{"speech", "say", "--text", "How do I register a trademark?", "--out", q}
	if err := dispatch(ctx, env, say); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(q)
	speech, err := audio.ReadWAV(f, 0)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	speech, _ = audio.Resample(speech, 16000)
	long := audio.PCM{Rate: 16000, Samples: make([]int16, 16000*600)}
	for _, at := range []int{30, 300, 590} {
		copy(long.Samples[at*16000:], speech.Samples)
	}
	path := filepath.Join(dir, "long.wav")
	w, _ := os.Create(path)
	if err := audio.WriteWAV(w, long); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out.Reset()
	if err := dispatch(ctx, env, []string{"speech", "hear", path}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d transcripts %q, want 3", len(lines), lines)
	}
	for _, l := range lines {
		if !strings.Contains(l, "trademark") {
			t.Errorf("heard %q", l)
		}
	}
}
