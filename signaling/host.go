package signaling

import (
	"context"

	"github.com/pion/webrtc/v4"
)

// State is the call state the client shows. New values may be added; clients ignore
// values they do not know.
type State string

// Call states, as in the core contract of the protocol.
const (
	StateListening State = "listening" // the avatar listens for a question
	StateThinking  State = "thinking"  // a question is being answered
	StateSpeaking  State = "speaking"  // the avatar speaks
	StateHandoff   State = "handoff"   // a human lawyer is being sought
	StateLawyer    State = "lawyer"    // a human lawyer is in the call
	StateEnded     State = "ended"     // the call is over; Reason says why
)

// Reasons signaling gives in `state: ended` and passes to Session.Hangup.
const (
	ReasonCallerHangup   = "caller_hangup"   // the client sent hangup
	ReasonResumeTimeout  = "resume_timeout"  // the socket dropped and no resume came in time
	ReasonServerShutdown = "server_shutdown" // the node is stopping
	ReasonEnded          = "ended"           // the session ended without saying why
)

// JoinRequest is what a client asked for when it joined, plus what the server knows
// about the connection.
type JoinRequest struct {
	Lawyer    int    // lawyer id as in GET /api/lawyers; Host checks that it exists
	Lang      string // "zh" or "en" (default "zh")
	RemoteIP  string // the caller's address as Config.ClientIP found it
	UserAgent string // the User-Agent header of the WebSocket request
}

// Host starts calls. The per-call glue (dialog + media) implements it.
type Host interface {
	// Start creates the call's session: typically a peer connection not yet negotiated
	// and a dialog waiting for media. events carries server → client events for the
	// whole life of the session, across socket drops and resumes; signaling routes them
	// to whichever socket is current. ctx bounds Start only, not the session.
	//
	// Errors the client should hear about precisely are ErrUnknownLawyer,
	// ErrLawyerUnavailable and ErrOverCapacity (or an *OverCapacityError); anything else
	// becomes call_setup_failed and is logged.
	Start(ctx context.Context, req JoinRequest, events Sink) (Session, error)
}

// Session is one call as signaling sees it. Signaling calls Offer, AddCandidate and Hangup
// from one goroutine per socket at a time, but Hangup may also come from a timer or from
// Server.Shutdown concurrently with the others.
type Session interface {
	// ID is the call id the client sees in `joined` (unique, safe to log and show).
	ID() string
	// Offer applies the client's SDP offer and returns the answer. It is called for the
	// first offer and again for every later offer on the same call, notably the ICE-restart
	// offer a client sends after resuming (RFC 8839 §4.4.1.1.1; pion restarts ICE when the
	// offer carries new ice-ufrag/ice-pwd). Local candidates are trickled through
	// Sink.Candidate. Return errors wrapping ErrInvalidSDP, ErrNoAudio or
	// ErrUnsupportedCodec for bad offers.
	Offer(ctx context.Context, sdp string) (answer string, err error)
	// AddCandidate adds one remote ICE candidate. Signaling calls it only after the
	// latest offer was answered (it holds earlier candidates back until then). Return an
	// error wrapping ErrBadCandidate for a candidate that cannot be used.
	AddCandidate(c webrtc.ICECandidateInit) error
	// Hangup ends the call: it must release the peer connection, the dialog and every
	// goroutine they started, then close Done. It must be idempotent, must not block for
	// long and must not call back into Sink synchronously.
	Hangup(reason string)
	// Done is closed when the session has ended, whoever ended it.
	Done() <-chan struct{}
}

// Presence is an optional interface of a Session that wants to know when the caller's
// socket drops (the call then waits Config.ResumeGrace for a resume) and when it returns.
// Both are called without signaling's locks held and must not block.
type Presence interface {
	SocketLost()
	SocketResumed()
}

// Sink receives server → client events of one call. Signaling implements it; the session
// calls it from any goroutine. Its methods never block: while no socket is attached,
// candidates are dropped (the client restarts ICE after resuming) and the latest state is
// kept and sent on resume.
type Sink interface {
	// State reports a state change. StateEnded ends the call on the signaling side too:
	// the client is told, its socket is closed and its resume token stops working;
	// reason is a snake_case word for the client (for example "ice_failed").
	State(s State, reason string)
	// Candidate trickles one local ICE candidate (pion: ICECandidate.ToJSON()). Skip the
	// nil candidate pion reports at the end of gathering.
	Candidate(c webrtc.ICECandidateInit)
}
