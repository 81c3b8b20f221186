package viseme

import (
	"encoding/json"
	"fmt"
	"time"
)

// cueJSON is the wire form of a Cue: {"at_ms": 120, "shape": "aa"}.
type cueJSON struct {
	AtMs  float64 `json:"at_ms"`
	Shape string  `json:"shape"`
}

// MarshalJSON writes c as {"at_ms": milliseconds, "shape": name}.
func (c Cue) MarshalJSON() ([]byte, error) {
	return json.Marshal(cueJSON{AtMs: float64(c.At) / float64(time.Millisecond), Shape: c.Shape.String()})
}

// UnmarshalJSON reads the form MarshalJSON writes; unknown shape names are an error.
func (c *Cue) UnmarshalJSON(b []byte) error {
	var w cueJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s, ok := Parse(w.Shape)
	if !ok {
		return fmt.Errorf("viseme: unknown shape %q", w.Shape)
	}
	c.At, c.Shape = time.Duration(w.AtMs*float64(time.Millisecond)), s
	return nil
}
