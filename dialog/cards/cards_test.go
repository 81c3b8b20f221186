package cards

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestAllEmbeddedCardsAreValid(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no cards embedded")
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("cards not sorted by id: %s then %s", all[i-1].ID, all[i].ID)
		}
	}
}

func TestParseRejectsBadCards(t *testing.T) {
	good := `{"id":"a-b","topic":"labor","risk":"low","q_zh":"问","q_en":"q",
		"variants_zh":["一","二"],"variants_en":["v"],"answer_zh":"答","answer_en":"a",
		"next_zh":"下","next_en":"n","cites":[{"law":"中华人民共和国劳动法","article":1}]}`
	tests := []struct {
		name, body, want string
	}{
		{"unknown field", `[{"id":"a","bogus":1}]`, "unknown field"},
		{"bad topic", `[` + strings.Replace(good, `"labor"`, `"cooking"`, 1) + `]`, "unknown topic"},
		{"bad risk", `[` + strings.Replace(good, `"low"`, `"huge"`, 1) + `]`, "risk must be"},
		{"no cites", `[` + strings.Replace(good, `{"law":"中华人民共和国劳动法","article":1}`, ``, 1) + `]`,
			"cites no article"},
		{"duplicate", `[` + good + `,` + good + `]`, "already used"},
		{"bad id", `[` + strings.Replace(good, `"a-b"`, `"A B"`, 1) + `]`, "kebab-case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"data/x.json": {Data: []byte(tt.body)}}
			_, err := parse(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parse error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := parse(fstest.MapFS{"data/x.json": {Data: []byte(`[` + good + `]`)}}); err != nil {
		t.Fatalf("good card rejected: %v", err)
	}
}
