package loadtest

import (
	"encoding/json"
	"time"
)

// talkPhase is where a talker is in its conversation.
type talkPhase int

const (
	phaseGreeting talkPhase = iota // waiting for the avatar's greeting to end
	phasePause                     // silence before the next question
	phaseSpeaking                  // sending a question's packets
	phaseAnswer                    // waiting for the avatar's reply to start and end
)

// talkScript decides, every 20 ms, what a caller's microphone sends.
type talkScript struct {
	c      *caller
	talker bool
	phase  talkPhase
	since  time.Time // when the phase began
	q      int       // questions asked so far
	pkt    int       // next packet of the current question
}

func newTalkScript(c *caller, talker bool) *talkScript {
	return &talkScript{c: c, talker: talker, since: time.Now(), q: c.idx}
}

func (s *talkScript) enter(p talkPhase, now time.Time) {
	s.phase, s.since = p, now
}

// next returns the packet to send now, or nil for silence.
func (s *talkScript) next(now time.Time) []byte {
	if !s.talker || s.c.speech == nil {
		return nil
	}
	c := s.c
	c.mu.Lock()
	state, quiet, awaiting := c.state, now.Sub(c.lastAudio), c.awaiting
	heard := c.res.audioPackets > 0
	c.mu.Unlock()

	switch s.phase {
	case phaseGreeting:
		done := heard && quiet >= quietBeforeAsk && state == "listening"
		if done || now.Sub(s.since) > greetTimeout {
			s.enter(phasePause, now)
		}
	case phasePause:
		if now.Sub(s.since) >= pauseBetween {
			s.enter(phaseSpeaking, now)
			s.pkt = 0
			if s.c.cfg.Typed || len(c.speech.Questions) == 0 {
				s.ask(now)
			}
		}
	case phaseSpeaking:
		pkts := c.speech.Questions[s.q%len(c.speech.Questions)]
		if s.pkt < len(pkts) {
			p := pkts[s.pkt]
			s.pkt++
			if s.pkt == len(pkts) {
				s.asked(now.Add(Frame)) // the last packet carries the last 20 ms
			}
			return p
		}
	case phaseAnswer:
		if !awaiting && quiet >= quietBeforeAsk && state == "listening" {
			s.enter(phasePause, now)
		} else if awaiting && now.Sub(s.since) > answerTimeout {
			c.mu.Lock()
			c.awaiting = false
			c.res.unanswered++
			c.mu.Unlock()
			s.enter(phasePause, now)
		}
	}
	return nil
}

// ask sends the current question as a typed `ask` event.
func (s *talkScript) ask(now time.Time) {
	text := Questions[s.q%len(Questions)]
	if n := len(s.c.speech.Texts); n > 0 {
		text = s.c.speech.Texts[s.q%n]
	}
	b, _ := json.Marshal(map[string]string{"type": "ask", "text": text})
	if s.c.dc != nil {
		_ = s.c.dc.Send(b)
	}
	s.asked(now)
}

// asked marks the end of the caller's question: from now the caller waits for the
// avatar's first audio packet.
func (s *talkScript) asked(end time.Time) {
	c := s.c
	c.mu.Lock()
	c.speechEnd, c.awaiting = end, true
	c.res.questionsSent++
	c.mu.Unlock()
	s.q++
	s.enter(phaseAnswer, end)
}
