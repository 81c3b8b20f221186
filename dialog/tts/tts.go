// Package tts owns text-to-speech for Fayun: the Synthesizer interface, per-lawyer
// voices, a sentence splitter for Chinese and English so replies start speaking
// after their first sentence, viseme timelines for lip-sync, and two engines:
// eSpeak NG through cgo (the embedded default) and OpenAI-compatible /v1/audio/speech.
package tts

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"fayun/avatars/viseme"
	"fayun/dialog/audio"
)

// OutputRate is the sample rate of every Speech an engine returns: the rate the
// media side encodes to Opus for WebRTC.
const OutputRate = audio.RateWebRTC

// ErrNoSpeech is returned for text with nothing speakable in it (empty, only
// punctuation, emoji or control characters).
var ErrNoSpeech = errors.New("tts: nothing to say")

// Speech is one synthesized piece of text.
type Speech struct {
	Text    string          // the text that was spoken, after clean-up
	Audio   audio.PCM       // mono, at OutputRate
	Visemes viseme.Timeline // mouth shapes, offsets from the start of Audio
}

// Synthesizer turns text into speech in a voice. Implementations return promptly
// with ctx.Err() when ctx is cancelled and are safe for concurrent use.
type Synthesizer interface {
	Synthesize(ctx context.Context, text string, v Voice) (Speech, error)
}

// Part is one sentence of a streamed reply.
type Part struct {
	Index  int // 0 for the first sentence
	Speech Speech
	Err    error // set on the last Part when synthesis failed
}

// Stream splits text into sentences and synthesizes them one after another,
// sending each as soon as it is ready and keeping at most one finished sentence
// waiting. Sentences with nothing to say are skipped. The channel closes after the
// last sentence, after an error (sent as a Part with Err set), or when ctx is
// cancelled; the goroutine never blocks on a receiver that went away as long as
// ctx is eventually cancelled.
func Stream(ctx context.Context, s Synthesizer, text string, v Voice) <-chan Part {
	out := make(chan Part, 1)
	go func() {
		defer close(out)
		i := 0
		for _, sentence := range Split(text) {
			sp, err := s.Synthesize(ctx, sentence, v)
			if errors.Is(err, ErrNoSpeech) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			p := Part{Index: i, Speech: sp, Err: err}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			i++
		}
	}()
	return out
}

// Clean removes what no engine should be asked to pronounce: emoji and other
// pictographs, control characters and private-use code points. Runs of space are
// collapsed. It returns "" when nothing speakable remains.
func Clean(text string) string {
	var b strings.Builder
	space := false
	for _, r := range text {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = true
			continue
		case isPictograph(r), unicode.Is(unicode.Co, r), r == '\uFFFD',
			unicode.Is(unicode.Mn, r) && r >= 0xFE00 && r <= 0xFE0F, r == 0x200D:
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	s := b.String()
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return ""
	}
	return s
}

// isPictograph reports emoji, symbols and dingbats that engines read out as names
// or noise.
func isPictograph(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // emoji, pictographs, transport, flags
		r >= 0x2600 && r <= 0x27BF,   // misc symbols, dingbats
		r >= 0x2B00 && r <= 0x2BFF,   // arrows and stars
		r >= 0xE0000 && r <= 0xE007F, // tags
		r >= 0x1F1E6 && r <= 0x1F1FF:
		return true
	}
	return unicode.Is(unicode.So, r)
}
