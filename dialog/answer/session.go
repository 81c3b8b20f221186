package answer

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// maxTurns is how many past turns a session remembers.
const maxTurns = 10

// Turn is one question and the reply it got.
type Turn struct {
	Question string
	Lang     string
	Reply    Reply
	At       time.Time
}

// Session is the memory of one conversation (one call): its past turns, so that a
// follow-up such as 那试用期呢？ is read in their context, and its run of unanswered
// questions. A Session is safe for concurrent use; create one per call with
// NewSession.
type Session struct {
	mu       sync.Mutex
	turns    []Turn
	failures int // consecutive turns without an answer
}

// NewSession returns an empty session.
func NewSession() *Session { return &Session{} }

// Turns returns a copy of the remembered turns, oldest first.
func (s *Session) Turns() []Turn {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Turn(nil), s.turns...)
}

// Record adds a finished turn. Engines call it; callers only need it when they build
// replies of their own (for example a lawyer speaking in the call).
func (s *Session) Record(question, lang string, r *Reply) {
	if s == nil || r == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Known {
		s.failures = 0
	} else {
		s.failures++
	}
	s.turns = append(s.turns, Turn{Question: question, Lang: lang, Reply: *r, At: time.Now()})
	if len(s.turns) > maxTurns {
		s.turns = append([]Turn(nil), s.turns[len(s.turns)-maxTurns:]...)
	}
}

// context returns what a new question inherits: the previous question, topic and law,
// and the failures so far.
func (s *Session) context() (prev *Turn, failures int) {
	if s == nil {
		return nil, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.turns); n > 0 {
		t := s.turns[n-1]
		prev = &t
	}
	return prev, s.failures
}

var followUpStarts = []string{"那", "那么", "还有", "另外", "如果", "要是", "假如", "那如果",
	"what about", "how about", "and ", "and if", "what if", "also"}

// isFollowUp reports whether a question looks like it leans on the previous turn:
// short, or starting with a word such as 那 or "what about".
func isFollowUp(q string) bool {
	low := strings.ToLower(strings.TrimSpace(q))
	for _, p := range followUpStarts {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	if hasHan(low) {
		return utf8.RuneCountInString(low) <= 8
	}
	return len(strings.Fields(low)) <= 4
}
