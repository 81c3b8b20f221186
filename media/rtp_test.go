package media

import (
	"bytes"
	"testing"
	"time"
)

func TestVP8Packets(t *testing.T) {
	for _, size := range []int{1, 100, maxPayload - 1, maxPayload, 3000, 10000} {
		frame := make([]byte, size)
		for i := range frame {
			frame[i] = byte(i * 7)
		}
		var bufs [][]byte
		for range 2 { // the second round reuses the first round's storage
			bufs = vp8Packets(bufs[:0], frame)
			var joined []byte
			for i, p := range bufs {
				if len(p) > maxPayload {
					t.Fatalf("size %d: packet %d is %d bytes", size, i, len(p))
				}
				if wantS := i == 0; (p[0]&0x10 != 0) != wantS || p[0]&^0x10 != 0 {
					t.Fatalf("size %d: packet %d descriptor %#x", size, i, p[0])
				}
				joined = append(joined, p[1:]...)
			}
			if !bytes.Equal(joined, frame) {
				t.Fatalf("size %d: payloads do not rebuild the frame", size)
			}
		}
	}
}

func TestRTPClock(t *testing.T) {
	c := newRTPClock(90000, 0xffffff00) // wraps within the first second
	if got := c.at(c.origin.Add(40*time.Millisecond)) - 0xffffff00; got != 3600 {
		t.Fatalf("40 ms at 90 kHz: %d ticks, want 3600", got)
	}
}

func TestReceiverDropsWhenConsumerIsBehind(t *testing.T) {
	r := &AudioReceiver{frames: make(chan CallerFrame, 2)}
	pcm := make([]int16, 5*FrameSamples16k+7)
	rest, _ := r.deliver(pcm, 0)
	if len(rest) != 7 {
		t.Fatalf("remainder %d samples, want 7", len(rest))
	}
	if st := r.Stats(); st.Frames != 2 || st.Dropped != 3 {
		t.Fatalf("delivered %d dropped %d, want 2 and 3", st.Frames, st.Dropped)
	}
}
