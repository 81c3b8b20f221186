package dialog

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"fayun/dialog/answer"
	"fayun/dialog/tts"
)

// scripted answers every question with the same sentences and citation, as an answer
// engine with zero latency would.
type scripted struct {
	sentences []string
	cite      answer.Citation
	handoff   bool
}

func (s scripted) Answer(ctx context.Context, ss *answer.Session, q, lang string) (*answer.Reply, error) {
	return s.Stream(ctx, ss, q, lang, nil)
}

func (s scripted) Stream(ctx context.Context, ss *answer.Session, q, lang string,
	emit func(answer.Event) error) (*answer.Reply, error) {
	r := &answer.Reply{Answer: strings.Join(s.sentences, ""), Sentences: s.sentences,
		Citations: []answer.Citation{s.cite}, Known: true, Lang: lang, Handoff: s.handoff,
		HandoffReason: "explicit_request", Topic: "labor", Engine: "scripted"}
	ss.Record(q, lang, r)
	return r, answer.Emit(r, emit)
}

// recorder is an Output that keeps what it is told and plays audio in real time (or
// faster, by speed), as the media sender would.
type recorder struct {
	mu       sync.Mutex
	states   []State
	captions []Caption
	cites    []answer.Citation
	turns    []Turn
	handoffs []HandoffRequest
	played   time.Duration
	speed    float64
	changed  chan struct{}
}

func newRecorder(speed float64) *recorder {
	return &recorder{speed: speed, changed: make(chan struct{}, 1000)}
}

func (r *recorder) note(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) State(s State)              { r.note(func() { r.states = append(r.states, s) }) }
func (r *recorder) Caption(c Caption)          { r.note(func() { r.captions = append(r.captions, c) }) }
func (r *recorder) Citation(c answer.Citation) { r.note(func() { r.cites = append(r.cites, c) }) }
func (r *recorder) Turn(t Turn)                { r.note(func() { r.turns = append(r.turns, t) }) }
func (r *recorder) Handoff(h HandoffRequest)   { r.note(func() { r.handoffs = append(r.handoffs, h) }) }

func (r *recorder) Play(ctx context.Context, sp tts.Speech, first func()) error {
	first()
	d := time.Duration(float64(sp.Audio.Duration()) / r.speed)
	select {
	case <-time.After(d):
		r.note(func() { r.played += sp.Audio.Duration() })
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitFor waits until cond holds (checked under the lock) or fails the test.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; states %v, captions %+v", what, r.states, r.captions)
		}
	}
}

func startConversation(t *testing.T, a answer.Answerer, out *recorder, lang string) *Conversation {
	t.Helper()
	c, err := New(Config{Persona: Persona{ID: 7, Name: "王静怡", Gender: "female"}, Lang: lang,
		Answerer: a, Voice: tts.ESpeak{}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func TestTypedQuestionIsAnsweredAloudWithCitations(t *testing.T) {
	a := scripted{sentences: []string{"用工一个月内必须签书面合同。", "超过一个月没签，要付两倍工资。"},
		cite: answer.Citation{Law: "中华人民共和国劳动合同法", Article: 82}}
	out := newRecorder(20)
	c := startConversation(t, a, out, "zh")
	c.Ask("员工入职两个月没签合同，要赔钱吗？")

	out.waitFor(t, "the turn record", func() bool { return len(out.turns) == 1 })
	out.waitFor(t, "listening again", func() bool { return out.states[len(out.states)-1] == Listening })
	out.mu.Lock()
	defer out.mu.Unlock()
	want := []State{Thinking, Speaking, Listening}
	if strings.Join(statesOf(out.states), ",") != strings.Join(statesOf(want), ",") {
		t.Errorf("states %v, want %v", out.states, want)
	}
	turn := out.turns[0]
	if turn.Interrupted || !turn.Typed || turn.Answer != strings.Join(a.sentences, "") {
		t.Errorf("turn %+v", turn)
	}
	if turn.FirstSentence <= 0 || turn.FirstAudio < turn.FirstSentence {
		t.Errorf("latencies: first sentence %v, first audio %v", turn.FirstSentence, turn.FirstAudio)
	}
	if len(out.cites) != 1 || out.cites[0].Article != 82 {
		t.Errorf("citations %+v", out.cites)
	}
	if out.captions[0].Speaker != User || !out.captions[0].Final {
		t.Errorf("first caption %+v, want the user's question", out.captions[0])
	}
	last := out.captions[len(out.captions)-1]
	if last.Speaker != Avatar || !last.Final || last.Text != turn.Answer {
		t.Errorf("last caption %+v", last)
	}
	if out.played < time.Second {
		t.Errorf("played only %v of speech", out.played)
	}
}

func TestBargeInBySpeechCancelsTheReply(t *testing.T) {
	long := strings.Repeat("This sentence is here to keep the avatar talking for a while. ", 6)
	a := scripted{sentences: tts.Split(long),
		cite: answer.Citation{Law: "中华人民共和国民法典", Article: 577}}
	out := newRecorder(1) // real time, so the reply is still playing when the caller speaks
	c := startConversation(t, a, out, "en")
	c.Ask("What if the other side breaks the contract?")
	out.waitFor(t, "speaking", func() bool { return contains(out.states, Speaking) })

	// The caller speaks: a loud vowel-like tone, in 20 ms chunks, as media delivers it.
	speech := tone(16000, 600*time.Millisecond, 220)
	silence := make([]int16, 320)
	for i := 0; i < 20; i++ { // some silence first so the noise floor settles
		c.PushAudio(append([]int16(nil), silence...))
	}
	for i := 0; i+320 <= len(speech); i += 320 {
		c.PushAudio(speech[i : i+320])
		time.Sleep(2 * time.Millisecond)
	}
	out.waitFor(t, "the interrupted turn", func() bool { return len(out.turns) == 1 })
	out.mu.Lock()
	defer out.mu.Unlock()
	if !out.turns[0].Interrupted {
		t.Fatalf("turn not marked interrupted: %+v", out.turns[0])
	}
	if out.states[len(out.states)-1] != Listening {
		t.Errorf("state after barge-in %v, want listening", out.states[len(out.states)-1])
	}
	var final *Caption
	for i := range out.captions {
		if out.captions[i].Speaker == Avatar && out.captions[i].Final {
			final = &out.captions[i]
		}
	}
	if final == nil || !final.Interrupted {
		t.Errorf("no final interrupted caption: %+v", out.captions)
	}
}

func TestHandoffIsAnnouncedWithSummary(t *testing.T) {
	a := scripted{sentences: []string{"这件事需要真人律师帮您处理，我这就为您联系。"},
		cite: answer.Citation{Law: "中华人民共和国劳动合同法", Article: 85}, handoff: true}
	out := newRecorder(50)
	c := startConversation(t, a, out, "zh")
	c.Ask("别跟我说这些了，我要找真人律师")
	out.waitFor(t, "the handoff", func() bool { return len(out.handoffs) == 1 })
	out.mu.Lock()
	defer out.mu.Unlock()
	h := out.handoffs[0]
	if h.Topic != "labor" || !strings.Contains(h.Summary, "真人律师") {
		t.Errorf("handoff %+v", h)
	}
	if out.states[len(out.states)-1] != Handoff {
		t.Errorf("state %v, want handoff", out.states)
	}
}

func TestEmptyAndPausedQuestionsAreIgnored(t *testing.T) {
	a := scripted{sentences: []string{"好的。"}, cite: answer.Citation{Law: "x", Article: 1}}
	out := newRecorder(50)
	c := startConversation(t, a, out, "zh")
	c.Ask("   ")
	c.SetPaused(true)
	c.Ask("有人吗")
	c.SetPaused(false)
	c.Ask("现在呢")
	out.waitFor(t, "one turn", func() bool { return len(out.turns) == 1 })
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.turns[0].Question != "现在呢" {
		t.Errorf("answered %q", out.turns[0].Question)
	}
}

func TestDetectLang(t *testing.T) {
	tests := []struct{ in, def, want string }{
		{"试用期多长", "en", "zh"},
		{"How long is probation?", "zh", "en"},
		{"OK", "zh", "zh"},
		{"🙂🙂", "en", "en"},
		{"Civil Code 第577条", "en", "zh"},
	}
	for _, tt := range tests {
		if got := detectLang(tt.in, tt.def); got != tt.want {
			t.Errorf("detectLang(%q, %q) = %q, want %q", tt.in, tt.def, got, tt.want)
		}
	}
}

func tone(rate int, d time.Duration, hz float64) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		x := float64(i) / float64(rate)
		v := 0.5*math.Sin(2*math.Pi*hz*x) + 0.25*math.Sin(2*math.Pi*2*hz*x) +
			0.12*math.Sin(2*math.Pi*3*hz*x)
		out[i] = int16(v * 12000)
	}
	return out
}

func statesOf(s []State) []string {
	out := make([]string, 0, len(s))
	for i, x := range s {
		if i > 0 && s[i-1] == x {
			continue
		}
		out = append(out, string(x))
	}
	return out
}

func contains(s []State, x State) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
