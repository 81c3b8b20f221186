package signaling

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors a Host or Session returns (wrapped or not) so that signaling can tell the
// client exactly what went wrong. Any other error becomes a generic code and is logged.
var (
	// ErrUnknownLawyer means the lawyer id names no lawyer. Code unknown_lawyer.
	ErrUnknownLawyer = errors.New("unknown lawyer")
	// ErrLawyerUnavailable means the lawyer exists but takes no calls now (for example the
	// avatar is disabled). Code lawyer_unavailable.
	ErrLawyerUnavailable = errors.New("lawyer unavailable")
	// ErrOverCapacity means the node refuses new calls for now. Return an
	// *OverCapacityError to tell the client when to retry and its place in line.
	// Code over_capacity.
	ErrOverCapacity = errors.New("over capacity")
	// ErrInvalidSDP means the offer could not be parsed or applied. Code invalid_sdp.
	ErrInvalidSDP = errors.New("invalid sdp")
	// ErrNoAudio means the offer has no audio media section the server can use. Code
	// no_audio.
	ErrNoAudio = errors.New("offer has no audio")
	// ErrUnsupportedCodec means the offer allows neither Opus audio nor VP8 video. Code
	// unsupported_codec.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrBadCandidate means a remote ICE candidate could not be parsed or added. Code
	// bad_candidate.
	ErrBadCandidate = errors.New("bad ice candidate")
)

// OverCapacityError refuses a call politely: the client may try again after RetryAfter.
// It matches ErrOverCapacity with errors.Is.
type OverCapacityError struct {
	// RetryAfter is how long the client should wait; zero lets signaling suggest 30 s.
	RetryAfter time.Duration
	// Position is the caller's place in line (1 = next), zero when unknown.
	Position int
}

// Error describes the refusal.
func (e *OverCapacityError) Error() string {
	return fmt.Sprintf("over capacity: retry after %s (position %d)", e.RetryAfter, e.Position)
}

// Is reports whether target is ErrOverCapacity.
func (e *OverCapacityError) Is(target error) bool { return target == ErrOverCapacity }

// Code is a stable snake_case error code sent to clients in `error` messages. The full
// list, with what a client should do for each, is in docs/protocol.md.
type Code string

// Error codes. Keep these stable: clients branch on them.
const (
	CodeOriginNotAllowed  Code = "origin_not_allowed"
	CodeTooManySockets    Code = "too_many_sockets"
	CodeShuttingDown      Code = "shutting_down"
	CodeMessageTooLarge   Code = "message_too_large"
	CodeMalformedJSON     Code = "malformed_json"
	CodeUnknownType       Code = "unknown_type"
	CodeMissingField      Code = "missing_field"
	CodeInvalidField      Code = "invalid_field"
	CodeTooManyMessages   Code = "too_many_messages"
	CodeNotJoined         Code = "not_joined"
	CodeAlreadyJoined     Code = "already_joined"
	CodeJoinTimeout       Code = "join_timeout"
	CodeRateLimited       Code = "rate_limited"
	CodeUnknownLawyer     Code = "unknown_lawyer"
	CodeLawyerUnavailable Code = "lawyer_unavailable"
	CodeOverCapacity      Code = "over_capacity"
	CodeResumeUnknown     Code = "resume_unknown"
	CodeResumeExpired     Code = "resume_expired"
	CodeCallEnded         Code = "call_ended"
	CodeReplaced          Code = "replaced"
	CodeInvalidSDP        Code = "invalid_sdp"
	CodeNoAudio           Code = "no_audio"
	CodeUnsupportedCodec  Code = "unsupported_codec"
	CodeOfferFailed       Code = "offer_failed"
	CodeTooManyCandidates Code = "too_many_candidates"
	CodeBadCandidate      Code = "bad_candidate"
	CodeInternal          Code = "internal_error"
	CodeSlowConsumer      Code = "slow_consumer"
	CodeCallSetupFailed   Code = "call_setup_failed"
)

// protoError is a refusal on its way to the client: the code, a human message and, when
// fatal, the WebSocket close code the server uses right after sending it.
type protoError struct {
	code       Code
	msg        string
	retryAfter time.Duration
	position   int
	closeCode  int // 0 = the socket stays open
}

func (e *protoError) Error() string { return string(e.code) + ": " + e.msg }

func refuse(code Code, msg string) *protoError { return &protoError{code: code, msg: msg} }

func fatal(code Code, closeCode int, msg string) *protoError {
	return &protoError{code: code, msg: msg, closeCode: closeCode}
}

// joinError maps an error from Host.Start to what the client is told. The second result
// says whether the cause is worth logging as a failure of ours.
func joinError(err error) (*protoError, bool) {
	var oc *OverCapacityError
	switch {
	case errors.As(err, &oc):
		ra := oc.RetryAfter
		if ra <= 0 {
			ra = 30 * time.Second
		}
		return &protoError{code: CodeOverCapacity, retryAfter: ra, position: oc.Position,
			msg: "the service is busy; try again in " + seconds(ra) + " s"}, false
	case errors.Is(err, ErrOverCapacity):
		return &protoError{code: CodeOverCapacity, retryAfter: 30 * time.Second,
			msg: "the service is busy; try again in 30 s"}, false
	case errors.Is(err, ErrUnknownLawyer):
		return refuse(CodeUnknownLawyer, "no lawyer has this id; see GET /api/lawyers"), false
	case errors.Is(err, ErrLawyerUnavailable):
		return refuse(CodeLawyerUnavailable, "this lawyer takes no calls right now"), false
	}
	return refuse(CodeCallSetupFailed, "the call could not be started; try again"), true
}

// offerError maps an error from Session.Offer. The second result says whether it is ours.
func offerError(err error) (*protoError, bool) {
	switch {
	case errors.Is(err, ErrNoAudio):
		return refuse(CodeNoAudio, "the offer must contain an audio section (sendrecv)"), false
	case errors.Is(err, ErrUnsupportedCodec):
		return refuse(CodeUnsupportedCodec, "the offer must allow Opus audio and VP8 video"), false
	case errors.Is(err, ErrInvalidSDP):
		return refuse(CodeInvalidSDP, "the offer SDP could not be parsed or applied"), false
	}
	return refuse(CodeOfferFailed, "the offer could not be answered; send a new offer"), true
}

// seconds renders d as whole seconds, rounded up.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
