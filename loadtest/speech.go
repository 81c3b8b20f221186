package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"

	"fayun/dialog/audio"
	"fayun/media/opus"
)

// Questions are what talking callers ask, in English: the embedded recogniser
// (PocketSphinx en-us) understands English only.
var Questions = []string{
	"Can my employer fire me without notice?",
	"How long can a factory lease contract last?",
	"Do I need a written labour contract with my workers?",
	"What happens if the company does not pay overtime?",
}

// Speech is the talkers' audio, encoded once and shared by every caller: one Opus packet
// per 20 ms frame.
type Speech struct {
	Questions [][][]byte // per question, its packets
	Texts     []string   // the text of each question
	Silence   []byte     // one packet of silence
}

// Frame is the duration of one packet.
const Frame = 20 * time.Millisecond

// SpeakQuestions synthesizes each text with the espeak-ng program (voice "en"), resamples
// it to 48 kHz and encodes it as 20 ms Opus packets, with 200 ms of silence on each side
// so that the server's voice detector sees a clean onset and end.
func SpeakQuestions(ctx context.Context, texts []string) (*Speech, error) {
	enc, err := opus.NewEncoder(opus.EncoderConfig{})
	if err != nil {
		return nil, fmt.Errorf("loadtest speech: %w", err)
	}
	defer enc.Close()
	sp := &Speech{Texts: texts}
	silence := make([]int16, opus.FrameSamples)
	if sp.Silence, err = encodeFrames(enc, silence); err != nil {
		return nil, err
	}
	for _, text := range texts {
		cmd := exec.CommandContext(ctx, "espeak-ng", "-v", "en", "--stdout", text)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("loadtest speech: espeak-ng: %w: %s", err, stderr.String())
		}
		pcm, err := audio.DecodeWAV(out.Bytes(), time.Minute)
		if err != nil {
			return nil, fmt.Errorf("loadtest speech: %w", err)
		}
		if pcm, err = audio.Resample(pcm, audio.RateWebRTC); err != nil {
			return nil, fmt.Errorf("loadtest speech: %w", err)
		}
		pad := make([]int16, audio.SamplesFor(audio.RateWebRTC, 200*time.Millisecond))
		samples := append(append(append([]int16{}, pad...), pcm.Samples...), pad...)
		pkts, err := encodeAll(enc, samples)
		if err != nil {
			return nil, err
		}
		sp.Questions = append(sp.Questions, pkts)
	}
	return sp, nil
}

// encodeAll cuts samples into 20 ms frames (the last padded with silence) and encodes each.
func encodeAll(enc *opus.Encoder, samples []int16) ([][]byte, error) {
	var pkts [][]byte
	for off := 0; off < len(samples); off += opus.FrameSamples {
		frame := make([]int16, opus.FrameSamples)
		copy(frame, samples[off:])
		p, err := encodeFrames(enc, frame)
		if err != nil {
			return nil, err
		}
		pkts = append(pkts, p)
	}
	return pkts, nil
}

func encodeFrames(enc *opus.Encoder, frame []int16) ([]byte, error) {
	buf := make([]byte, opus.MaxPacketBytes)
	n, err := enc.Encode(frame, buf)
	if err != nil {
		return nil, fmt.Errorf("loadtest speech: encode: %w", err)
	}
	return buf[:n], nil
}
