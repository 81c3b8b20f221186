package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"
)

// Message types on the WebSocket. docs/protocol.md describes each.
const (
	TypeJoin      = "join"      // client → server
	TypeOffer     = "offer"     // client → server
	TypeCandidate = "candidate" // both ways
	TypeHangup    = "hangup"    // client → server
	TypePing      = "ping"      // client → server
	TypeJoined    = "joined"    // server → client
	TypeAnswer    = "answer"    // server → client
	TypeState     = "state"     // server → client
	TypeError     = "error"     // server → client
	TypePong      = "pong"      // server → client
)

// Languages a caller may choose.
const (
	LangChinese = "zh"
	LangEnglish = "en"
)

// Message is one JSON text frame in either direction. Type says which fields are used;
// the rest are omitted. Go clients (the load tester) may use it to speak the protocol.
type Message struct {
	Type string `json:"type"`

	// join
	Lawyer int    `json:"lawyer,omitempty"`
	Lang   string `json:"lang,omitempty"`
	Resume string `json:"resume,omitempty"` // join (client) and joined (server)

	// joined
	Call       string      `json:"call,omitempty"`
	ICEServers []ICEServer `json:"ice_servers,omitempty"`
	Resumed    bool        `json:"resumed,omitempty"`
	GraceMS    int64       `json:"grace_ms,omitempty"`

	// offer, answer
	SDP string `json:"sdp,omitempty"`

	// candidate
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`

	// state, hangup
	State  State  `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`

	// error
	Code         Code   `json:"code,omitempty"`
	Text         string `json:"message,omitempty"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	Position     int    `json:"position,omitempty"`
	Fatal        bool   `json:"fatal,omitempty"`

	// ping, pong
	ID string `json:"id,omitempty"`
}

// ICEServer is one STUN or TURN server as the browser's RTCIceServer expects it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// wireServers converts pion's ICE server list to the client's form.
func wireServers(in []webrtc.ICEServer) []ICEServer {
	out := make([]ICEServer, 0, len(in))
	for _, s := range in {
		w := ICEServer{URLs: s.URLs, Username: s.Username}
		if c, ok := s.Credential.(string); ok {
			w.Credential = c
		}
		out = append(out, w)
	}
	return out
}

// inbound is a client message as decoded, before validation.
type inbound struct {
	Type      *string         `json:"type"`
	Lawyer    json.RawMessage `json:"lawyer"`
	Lang      *string         `json:"lang"`
	Resume    *string         `json:"resume"`
	SDP       *string         `json:"sdp"`
	Candidate json.RawMessage `json:"candidate"`
	Reason    *string         `json:"reason"`
	ID        *string         `json:"id"`
}

// request is a validated client message.
type request struct {
	typ       string
	lawyer    int
	lang      string
	resume    string
	sdp       string
	candidate webrtc.ICECandidateInit
	endOfICE  bool // an empty candidate: the client finished gathering
	reason    string
	id        string
}

// Field limits, far below the message size limit, so that logs and hosts see sane input.
const (
	maxReasonLen = 200
	maxIDLen     = 64
	maxLawyerID  = 1 << 30
)

// decode parses and validates one client frame. It never panics on any input.
func decode(data []byte) (request, *protoError) {
	var in inbound
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return request{}, decodeError(err)
	}
	if dec.More() {
		return request{}, refuse(CodeMalformedJSON, "one JSON object per frame")
	}
	if in.Type == nil || *in.Type == "" {
		return request{}, refuse(CodeMissingField, "field \"type\" is required")
	}
	r := request{typ: *in.Type}
	switch r.typ {
	case TypeJoin:
		return r, decodeJoin(&in, &r)
	case TypeOffer:
		if in.SDP == nil || strings.TrimSpace(*in.SDP) == "" {
			return r, refuse(CodeMissingField, "offer: field \"sdp\" is required")
		}
		r.sdp = *in.SDP
	case TypeCandidate:
		return r, decodeCandidate(in.Candidate, &r)
	case TypeHangup:
		if in.Reason != nil {
			r.reason = clip(*in.Reason, maxReasonLen)
		}
	case TypePing:
		if in.ID != nil {
			r.id = clip(*in.ID, maxIDLen)
		}
	default:
		return r, refuse(CodeUnknownType, "unknown message type "+strconv.Quote(clip(r.typ, 40))+
			"; expected join, offer, candidate, hangup or ping")
	}
	return r, nil
}

func decodeError(err error) *protoError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return refuse(CodeMalformedJSON, "a message must be a JSON object")
		}
		return refuse(CodeInvalidField, "field "+strconv.Quote(te.Field)+" must be a "+
			jsonKind(te.Type.Kind().String()))
	}
	return refuse(CodeMalformedJSON, "the frame is not valid JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "ptr", "pointer", "struct", "map":
		return "JSON object"
	}
	return goKind
}

func decodeJoin(in *inbound, r *request) *protoError {
	if in.Resume != nil && *in.Resume != "" {
		r.resume = clip(*in.Resume, 128)
	}
	if in.Lang != nil {
		r.lang = *in.Lang
		if r.lang != LangChinese && r.lang != LangEnglish {
			return refuse(CodeInvalidField, "join: field \"lang\" must be \"zh\" or \"en\"")
		}
	}
	if len(in.Lawyer) == 0 || string(in.Lawyer) == "null" {
		if r.resume != "" {
			return nil // a resume names its call by token alone
		}
		return refuse(CodeMissingField, "join: field \"lawyer\" (an id from /api/lawyers) "+
			"is required")
	}
	id, ok := lawyerID(in.Lawyer)
	if !ok {
		return refuse(CodeInvalidField, "join: field \"lawyer\" must be a positive integer id")
	}
	r.lawyer = id
	return nil
}

// lawyerID accepts a JSON integer or a string of digits.
func lawyerID(raw json.RawMessage) (int, bool) {
	s := string(raw)
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > maxLawyerID {
		return 0, false
	}
	return n, true
}

func decodeCandidate(raw json.RawMessage, r *request) *protoError {
	if len(raw) == 0 || string(raw) == "null" {
		return refuse(CodeMissingField, "candidate: field \"candidate\" (an RTCIceCandidateInit) "+
			"is required")
	}
	var c webrtc.ICECandidateInit
	if err := json.Unmarshal(raw, &c); err != nil {
		return refuse(CodeInvalidField, "candidate: field \"candidate\" must be an object "+
			"{candidate, sdpMid, sdpMLineIndex}")
	}
	if c.Candidate == "" {
		r.endOfICE = true
		return nil
	}
	if c.SDPMid == nil && c.SDPMLineIndex == nil {
		return refuse(CodeMissingField, "candidate: \"sdpMid\" or \"sdpMLineIndex\" is required")
	}
	r.candidate = c
	return nil
}

// clip cuts s to at most n bytes and drops any invalid UTF-8 (including a split sequence).
func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
