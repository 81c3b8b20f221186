package viseme

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestTimelineJSONRoundTrip(t *testing.T) {
	in := Timeline{{At: 0, Shape: Rest}, {At: 120 * time.Millisecond, Shape: AA}, {At: 1500 * time.Microsecond, Shape: SZ}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"at_ms":0,"shape":"rest"},{"at_ms":120,"shape":"aa"},{"at_ms":1.5,"shape":"sz"}]`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var out Timeline
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("round trip: %v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`[{"at_ms":1,"shape":"kiss"}]`), &out); err == nil {
		t.Error("unknown shape accepted")
	}
}
