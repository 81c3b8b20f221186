package signaling

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fayun/internal/envflag"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want request
		code Code
	}{
		{`{"type":"join","lawyer":12,"lang":"en"}`, request{typ: TypeJoin, lawyer: 12, lang: "en"}, ""},
		{`{"type":"join","lawyer":"12"}`, request{typ: TypeJoin, lawyer: 12}, ""},
		{`{"type":"join","resume":"tok"}`, request{typ: TypeJoin, resume: "tok"}, ""},
		{`{"type":"join","lawyer":1.5}`, request{}, CodeInvalidField},
		{`{"type":"join","lawyer":0}`, request{}, CodeInvalidField},
		{`{"type":"join","lawyer":{}}`, request{}, CodeInvalidField},
		{`{"type":"offer","sdp":"v=0\r\n"}`, request{typ: TypeOffer, sdp: "v=0\r\n"}, ""},
		{`{"type":"offer","sdp":"  "}`, request{}, CodeMissingField},
		{`{"type":"candidate","candidate":{"candidate":""}}`,
			request{typ: TypeCandidate, endOfICE: true}, ""},
		{`{"type":"candidate","candidate":{"candidate":"candidate:1"}}`, request{},
			CodeMissingField},
		{`{"type":"candidate","candidate":"x"}`, request{}, CodeInvalidField},
		{`{"type":"hangup","extra":[1,2]}`, request{typ: TypeHangup}, ""},
		{`{"type":"ping","id":"a"}`, request{typ: TypePing, id: "a"}, ""},
		{`{"type":5}`, request{}, CodeInvalidField},
		{`null`, request{}, CodeMissingField},
		{``, request{}, CodeMalformedJSON},
		{`"join"`, request{}, CodeMalformedJSON},
	}
	for _, tt := range tests {
		got, perr := decode([]byte(tt.in))
		switch {
		case tt.code != "" && (perr == nil || perr.code != tt.code):
			t.Errorf("decode(%s) = %+v, %v; want code %s", tt.in, got, perr, tt.code)
		case tt.code == "" && perr != nil:
			t.Errorf("decode(%s): %v", tt.in, perr)
		case tt.code == "" && (got.typ != tt.want.typ || got.lawyer != tt.want.lawyer ||
			got.lang != tt.want.lang || got.resume != tt.want.resume || got.sdp != tt.want.sdp ||
			got.endOfICE != tt.want.endOfICE || got.id != tt.want.id):
			t.Errorf("decode(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary frames to the decoder: it must never panic, must refuse with
// a known code and a message, and what it accepts must be consistent.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","lawyer":7,"lang":"zh"}`,
		`{"type":"join","resume":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}`,
		`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host",` +
			`"sdpMid":"0","sdpMLineIndex":0}}`,
		`{"type":"hangup","reason":"再见"}`,
		`{"type":"ping","id":"1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, perr := decode(data)
		if perr != nil {
			if perr.code == "" || perr.msg == "" || !utf8.ValidString(perr.msg) {
				t.Fatalf("bad refusal %+v", perr)
			}
			if _, err := json.Marshal(Message{Type: TypeError, Code: perr.code, Text: perr.msg}); err != nil {
				t.Fatal(err)
			}
			return
		}
		switch r.typ {
		case TypeJoin:
			if r.resume == "" && r.lawyer <= 0 {
				t.Fatalf("join without lawyer accepted: %q", data)
			}
			if r.lang != "" && r.lang != LangChinese && r.lang != LangEnglish {
				t.Fatalf("lang %q accepted", r.lang)
			}
		case TypeOffer:
			if r.sdp == "" {
				t.Fatal("empty offer accepted")
			}
		case TypeCandidate:
			if !r.endOfICE && r.candidate.SDPMid == nil && r.candidate.SDPMLineIndex == nil {
				t.Fatal("candidate without mid accepted")
			}
		case TypeHangup, TypePing:
			if len(r.reason) > maxReasonLen || len(r.id) > maxIDLen {
				t.Fatal("unclipped field")
			}
		default:
			t.Fatalf("type %q accepted", r.typ)
		}
	})
}

func TestSettings(t *testing.T) {
	env := map[string]string{"FAYUN_WS_ORIGINS": "https://a.example, https://b.example",
		"FAYUN_RESUME_GRACE": "45s", "FAYUN_JOIN_RATE": "2.5"}
	fs := envflag.New("serve", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var s Settings
	s.Register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := s.Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.AllowedOrigins) != 2 || cfg.AllowedOrigins[1] != "https://b.example" ||
		cfg.ResumeGrace != 45*time.Second || cfg.JoinsPerMinute != 2.5 || cfg.JoinBurst != 5 ||
		cfg.MaxMessageBytes != 65536 {
		t.Fatalf("config = %+v", cfg)
	}
	s.JoinBurst = 0
	if err := s.Apply(&cfg); err == nil || !strings.Contains(err.Error(), "FAYUN_JOIN_BURST") {
		t.Fatalf("bad burst: %v", err)
	}
}
