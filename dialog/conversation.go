// Package dialog owns the conversation engine of a call: it listens to the caller
// (voice activity and end of turn), transcribes, asks the answer engine, and speaks the
// reply sentence by sentence, cancelling everything when the caller barges in. It knows
// nothing of RTP or WebSockets: audio comes in as 16 kHz PCM and goes out through the
// Output interface that the call implements. Sub-packages hold the speech engines, the
// law library, retrieval, the answer engines and the handoff policy.
package dialog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"fayun/dialog/answer"
	"fayun/dialog/audio"
	"fayun/dialog/handoff"
	"fayun/dialog/stt"
	"fayun/dialog/tts"
	"fayun/dialog/vad"
)

// State is what the avatar is doing, as the caller sees it.
type State string

// The call states of the protocol (docs/protocol.md).
const (
	Listening State = "listening"
	Thinking  State = "thinking"
	Speaking  State = "speaking"
	Handoff   State = "handoff"
	Lawyer    State = "lawyer"
	Ended     State = "ended"
)

// Speaker says who a caption belongs to.
type Speaker string

// The speakers of captions.
const (
	User   Speaker = "user"
	Avatar Speaker = "avatar"
	Human  Speaker = "lawyer"
)

// Caption is a line of text shown under the video.
type Caption struct {
	Speaker     Speaker
	Text        string
	Lang        string
	Final       bool
	Interrupted bool // the avatar was cut off by the caller
}

// Turn is the record of one question and its reply, with how long each stage took.
type Turn struct {
	Seq         int
	Question    string
	Typed       bool
	Lang        string
	Answer      string // what was actually said (up to the interruption)
	Citations   []answer.Citation
	Interrupted bool
	Handoff     bool
	Topic       string
	Engine      string
	// Stage latencies, measured from the end of the caller's speech (or the arrival
	// of a typed question). Zero when the stage was not reached.
	Transcript    time.Duration
	FirstSentence time.Duration
	FirstAudio    time.Duration
	At            time.Time
}

// HandoffRequest asks for a human lawyer.
type HandoffRequest struct {
	Reason handoff.Reason
	Topic  string
	// Summary is a few lines on what the caller asked, for the lawyer.
	Summary string
}

// Output is what a conversation needs of its call. Methods other than Play must not
// block: they queue events for the caller.
type Output interface {
	State(s State)
	Caption(c Caption)
	Citation(c answer.Citation)
	Turn(t Turn)
	Handoff(h HandoffRequest)
	// Play speaks sp: its audio is sent in real time and its visemes drive the avatar's
	// lips. Play calls firstPacket when the first audio packet leaves and returns when
	// the last has; when ctx is cancelled it drops what is queued at once and returns
	// ctx.Err().
	Play(ctx context.Context, sp tts.Speech, firstPacket func()) error
}

// Persona is the lawyer whose avatar speaks.
type Persona struct {
	ID     int
	Name   string
	Gender string // "female" or "male"
}

// Config is what a conversation is built from.
type Config struct {
	Persona  Persona
	Lang     string // "zh" or "en": the caller's language
	Answerer answer.Answerer
	Speech   stt.Recognizer
	Voice    tts.Synthesizer
	VAD      vad.Config
	Log      *slog.Logger
	Out      Output
}

// Conversation runs the turns of one call. Feed it audio with PushAudio and typed
// questions with Ask; it reports through Output. Create it with New and start it
// with Run.
type Conversation struct {
	cfg     Config
	session *answer.Session

	audio chan []int16
	ctrl  chan func()

	dropped atomic.Int64 // audio chunks dropped because the loop was behind

	// Owned by the run loop.
	lang   string
	det    *vad.Detector
	cancel context.CancelFunc // of the turn in progress, nil when none
	turnID int
	paused bool // a human lawyer has the call: listen and transcribe only
	done   chan turnResult

	stopped chan struct{} // closed when Run returns
}

type turnResult struct {
	id      int
	handoff bool
}

// New returns a conversation for one call.
func New(cfg Config) (*Conversation, error) {
	if cfg.Answerer == nil || cfg.Voice == nil || cfg.Out == nil {
		return nil, errors.New("dialog: answerer, voice and output are required")
	}
	if cfg.Lang != "en" {
		cfg.Lang = "zh"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Conversation{
		cfg:     cfg,
		session: answer.NewSession(),
		audio:   make(chan []int16, 64), // 64 chunks of 20 ms: over a second of slack
		ctrl:    make(chan func(), 16),
		lang:    cfg.Lang,
		det:     vad.New(cfg.VAD),
		done:    make(chan turnResult, 4),
		stopped: make(chan struct{}),
	}, nil
}

// Dropped returns how many audio chunks were dropped because the loop fell behind.
func (c *Conversation) Dropped() int64 { return c.dropped.Load() }

// PushAudio hands the conversation 16 kHz mono samples from the caller. It never
// blocks: when the loop is behind, the chunk is dropped and counted. The conversation
// keeps samples; the caller must not reuse the slice.
func (c *Conversation) PushAudio(samples []int16) {
	select {
	case c.audio <- samples:
	default:
		c.dropped.Add(1)
	}
}

// Ask submits a typed question.
func (c *Conversation) Ask(text string) { c.do(func() { c.startTurn(text, true, time.Now()) }) }

// Interrupt stops the avatar's reply, as if the caller had spoken.
func (c *Conversation) Interrupt() { c.do(c.bargeIn) }

// SetLang switches the caller's language for the following turns.
func (c *Conversation) SetLang(lang string) {
	c.do(func() {
		if lang == "zh" || lang == "en" {
			c.lang = lang
		}
	})
}

// Greet makes the avatar introduce itself.
func (c *Conversation) Greet() { c.do(func() { c.say(c.greeting(), Listening) }) }

// Say makes the avatar speak text outside any question (announcements).
func (c *Conversation) Say(text string, after State) { c.do(func() { c.say(text, after) }) }

// SetPaused hands the call to a human lawyer (true) or back to the avatar (false).
// While paused the caller is still transcribed for the record, but the avatar does not
// answer.
func (c *Conversation) SetPaused(p bool) {
	c.do(func() {
		c.paused = p
		if p {
			c.bargeIn()
		}
	})
}

func (c *Conversation) do(f func()) {
	select {
	case c.ctrl <- f:
	default:
		c.cfg.Log.Warn("conversation control queue full; dropping request")
	}
}

// Run processes audio and requests until ctx ends. It returns after cancelling any
// turn in progress.
func (c *Conversation) Run(ctx context.Context) {
	defer func() {
		if c.cancel != nil {
			c.cancel()
		}
		close(c.stopped)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case chunk := <-c.audio:
			c.onAudio(ctx, chunk)
		case f := <-c.ctrl:
			f()
		case r := <-c.done:
			if r.id == c.turnID {
				c.cancel = nil
				if !r.handoff && !c.paused {
					c.cfg.Out.State(Listening)
				}
			}
		}
	}
}

// finish reports the end of a turn to the run loop, unless it has stopped.
func (c *Conversation) finish(r turnResult) {
	select {
	case c.done <- r:
	case <-c.stopped:
	}
}

func (c *Conversation) onAudio(ctx context.Context, chunk []int16) {
	for _, ev := range c.det.Push(chunk) {
		switch ev.Kind {
		case vad.SpeechStart:
			c.bargeIn()
		case vad.SpeechEnd:
			// The detector reports the end once the hangover has passed; the end of
			// speech itself was Hangover earlier.
			ended := time.Now().Add(-c.det.Config().Hangover)
			c.startSpoken(ctx, ev.Utterance, ended)
		}
	}
}

// bargeIn cancels the reply in progress: model, synthesis and queued audio.
func (c *Conversation) bargeIn() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	c.cancel = nil
	if !c.paused {
		c.cfg.Out.State(Listening)
	}
}

func (c *Conversation) newTurn() context.Context {
	if c.cancel != nil {
		c.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.turnID++
	return ctx
}

func (c *Conversation) startSpoken(_ context.Context, u audio.PCM, ended time.Time) {
	if c.cfg.Speech == nil {
		return
	}
	ctx := c.newTurn()
	id, lang, paused := c.turnID, c.lang, c.paused
	if !paused {
		c.cfg.Out.State(Thinking)
	}
	go func() {
		res, err := c.cfg.Speech.Recognize(ctx, u, lang)
		if ctx.Err() != nil {
			return
		}
		text := strings.TrimSpace(res.Text)
		switch {
		case errors.Is(err, stt.ErrLanguage):
			c.finishWithSpeech(ctx, id, pick(lang, "抱歉，目前的语音识别还听不懂中文，请在下方输入框打字提问。",
				"Sorry, I cannot recognise speech in this language yet. Please type your question."))
			return
		case err != nil || text == "":
			if err != nil {
				c.cfg.Log.Warn("speech recognition failed", "err", err)
			}
			if paused {
				c.finish(turnResult{id: id})
				return
			}
			c.finishWithSpeech(ctx, id, pick(lang, "抱歉，我没有听清，请再说一遍，或者打字提问。",
				"Sorry, I did not catch that. Please say it again, or type your question."))
			return
		}
		c.cfg.Out.Caption(Caption{Speaker: User, Text: text, Lang: lang, Final: true})
		if paused {
			c.finish(turnResult{id: id})
			return
		}
		c.answer(ctx, id, text, false, lang, ended, time.Since(ended))
	}()
}

func (c *Conversation) startTurn(text string, typed bool, at time.Time) {
	text = strings.TrimSpace(text)
	if text == "" || c.paused {
		return
	}
	lang := c.lang
	if typed {
		lang = detectLang(text, c.lang)
	}
	ctx := c.newTurn()
	id := c.turnID
	c.cfg.Out.Caption(Caption{Speaker: User, Text: text, Lang: lang, Final: true})
	c.cfg.Out.State(Thinking)
	go c.answer(ctx, id, text, typed, lang, at, 0)
}

// answer runs one reply: the answer engine streams sentences into synthesis, whose
// speech is played one sentence after another.
func (c *Conversation) answer(ctx context.Context, id int, question string, typed bool,
	lang string, start time.Time, transcript time.Duration) {
	turn := Turn{Seq: id, Question: question, Typed: typed, Lang: lang, Transcript: transcript,
		At: start}
	sentences := make(chan string, 32)
	var firstAudio atomic.Int64
	var said []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		said = c.speak(ctx, sentences, func() {
			firstAudio.CompareAndSwap(0, int64(time.Since(start)))
		})
	}()

	var once sync.Once
	reply, err := c.cfg.Answerer.Stream(ctx, c.session, question, lang, func(ev answer.Event) error {
		if ev.Sentence != "" {
			once.Do(func() { turn.FirstSentence = time.Since(start) })
			select {
			case sentences <- ev.Sentence:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if ev.Citation != nil {
			c.cfg.Out.Citation(*ev.Citation)
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		msg := pick(lang, "抱歉，这个问题我暂时回答不了，您可以换个说法，或者点击“找真人律师”。",
			"Sorry, I cannot answer that right now. Try asking another way, or ask for a real lawyer.")
		if errors.Is(err, answer.ErrTooLong) {
			msg = pick(lang, "问题太长了，请控制在两千字以内，分几次问。",
				"That question is too long. Please keep it under 2,000 characters.")
		}
		c.cfg.Log.Warn("answer failed", "err", err)
		sentences <- msg
	}
	close(sentences)
	wg.Wait()

	turn.Answer = joinSentences(lang, said)
	turn.FirstAudio = time.Duration(firstAudio.Load())
	turn.Interrupted = ctx.Err() != nil
	if reply != nil {
		turn.Citations, turn.Handoff, turn.Topic, turn.Engine =
			reply.Citations, reply.Handoff, reply.Topic, reply.Engine
	}
	c.cfg.Out.Caption(Caption{Speaker: Avatar, Text: turn.Answer, Lang: lang, Final: true,
		Interrupted: turn.Interrupted})
	c.cfg.Out.Turn(turn)

	handedOff := false
	if reply != nil && reply.Handoff && !turn.Interrupted {
		c.cfg.Out.State(Handoff)
		c.cfg.Out.Handoff(HandoffRequest{Reason: reply.HandoffReason, Topic: reply.Topic,
			Summary: c.Summary()})
		handedOff = true
	}
	c.finish(turnResult{id: id, handoff: handedOff})
}

// speak synthesizes sentences as they arrive and plays them in order; synthesis of the
// next sentence overlaps the playing of the current one. It returns the sentences that
// were played in full.
func (c *Conversation) speak(ctx context.Context, sentences <-chan string,
	firstPacket func()) (played []string) {
	voice := tts.VoiceFor(c.cfg.Persona.ID, c.cfg.Persona.Gender, c.lang)
	ready := make(chan tts.Speech, 1)
	go func() {
		defer close(ready)
		for s := range sentences {
			sp, err := c.cfg.Voice.Synthesize(ctx, s, voice)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, tts.ErrNoSpeech) {
					c.cfg.Log.Warn("synthesis failed", "err", err)
				}
				continue
			}
			select {
			case ready <- sp:
			case <-ctx.Done():
			}
		}
	}()
	first := true
	var text strings.Builder
	for sp := range ready {
		if ctx.Err() != nil {
			continue // drain so the synthesis goroutine ends
		}
		if first {
			c.cfg.Out.State(Speaking)
			first = false
		}
		if text.Len() > 0 && c.lang == "en" {
			text.WriteByte(' ')
		}
		text.WriteString(sp.Text)
		c.cfg.Out.Caption(Caption{Speaker: Avatar, Text: text.String(), Lang: c.lang})
		if err := c.cfg.Out.Play(ctx, sp, firstPacket); err != nil {
			continue
		}
		played = append(played, sp.Text)
	}
	return played
}

// say speaks a fixed text as its own turn, then moves to state after.
func (c *Conversation) say(text string, after State) {
	ctx := c.newTurn()
	id := c.turnID
	go func() {
		sentences := make(chan string, 8)
		for _, s := range tts.Split(text) {
			sentences <- s
		}
		close(sentences)
		c.speak(ctx, sentences, func() {})
		c.cfg.Out.Caption(Caption{Speaker: Avatar, Text: text, Lang: c.lang, Final: true,
			Interrupted: ctx.Err() != nil})
		c.finish(turnResult{id: id, handoff: after == Handoff})
	}()
}

func (c *Conversation) finishWithSpeech(ctx context.Context, id int, text string) {
	sentences := make(chan string, 1)
	sentences <- text
	close(sentences)
	c.speak(ctx, sentences, func() {})
	c.cfg.Out.Caption(Caption{Speaker: Avatar, Text: text, Lang: c.lang, Final: true})
	c.finish(turnResult{id: id})
}

func (c *Conversation) greeting() string {
	name := c.cfg.Persona.Name
	if c.lang == "en" {
		return fmt.Sprintf("Hello, I am the digital twin of lawyer %s. "+
			"What legal question can I help you with today?", name)
	}
	return fmt.Sprintf("您好，我是%s律师的数字分身。请问您遇到了什么法律问题？", name)
}

// Summary condenses the conversation for a human lawyer: the caller's questions, newest
// last, with the topics the avatar recognised. It is safe to call from any goroutine.
func (c *Conversation) Summary() string {
	var b strings.Builder
	for _, t := range c.session.Turns() {
		fmt.Fprintf(&b, "• %s", t.Question)
		if t.Reply.Topic != "" {
			fmt.Fprintf(&b, " [%s]", t.Reply.Topic)
		}
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// joinSentences joins spoken sentences back into one text: Chinese sentences run on,
// English ones are separated by a space.
func joinSentences(lang string, parts []string) string {
	if lang == "en" {
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, "")
}

// detectLang guesses a typed question's language: Chinese when it has Han characters,
// English when it has Latin letters and no Han, otherwise the call's language.
func detectLang(s, def string) string {
	latin := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return "zh"
		}
		if r < 128 && unicode.IsLetter(r) {
			latin++
		}
	}
	if latin >= 3 {
		return "en"
	}
	return def
}

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}
