package media

import (
	"errors"
	"io"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// maxPayload is the largest RTP payload we send: small enough that RTP, SRTP, UDP, IP and a
// TURN channel header fit a 1280-byte path MTU.
const maxPayload = 1160

// vp8Packets splits one VP8 frame into RTP payloads, each prefixed with the one-octet VP8
// payload descriptor of RFC 7741 §4.2 (X=0: no picture ID, N=0, PID=0, S=1 on the first
// packet only). It appends to bufs, reusing their storage, and returns them. Packets are
// sized evenly so the last one is not a sliver.
func vp8Packets(bufs [][]byte, frame []byte) [][]byte {
	n := (len(frame) + maxPayload - 2) / (maxPayload - 1)
	if n == 0 {
		return bufs
	}
	size := (len(frame) + n - 1) / n
	for i := 0; i < n; i++ {
		chunk := frame[i*size : min((i+1)*size, len(frame))]
		var b []byte
		if len(bufs) < cap(bufs) {
			b = bufs[:len(bufs)+1][len(bufs)][:0]
		}
		desc := byte(0x00)
		if i == 0 {
			desc = 0x10 // S bit: start of a VP8 partition, partition index 0
		}
		b = append(b, desc)
		b = append(b, chunk...)
		bufs = append(bufs, b)
	}
	return bufs
}

// rtpClock maps wall-clock instants to RTP timestamps of one stream (RFC 3550 §5.1: the
// timestamp reflects the sampling instant, in units of the payload's clock, from a random
// origin).
type rtpClock struct {
	origin time.Time
	base   uint32
	rate   int64
}

func newRTPClock(rate int64, base uint32) rtpClock {
	return rtpClock{origin: time.Now(), base: base, rate: rate}
}

func (c rtpClock) at(t time.Time) uint32 {
	return c.base + uint32(int64(t.Sub(c.origin))*c.rate/int64(time.Second))
}

// DrainRTCP reads RTCP arriving for sender until the sender stops, which is what lets the
// interceptors (NACK responder, sender reports) see it. onKeyframe, if not nil, runs for every
// Picture Loss Indication (RFC 4585 §6.3.1) and Full Intra Request (RFC 5104 §4.3.1). Run it
// in its own goroutine; it returns when the peer connection closes.
func DrainRTCP(sender *webrtc.RTPSender, onKeyframe func()) {
	failures := 0
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return
			}
			// Malformed RTCP costs one packet; a long run of failures means the transport
			// is gone in a way that is not reported as EOF.
			if failures++; failures > 100 {
				return
			}
			continue
		}
		failures = 0
		if onKeyframe == nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				onKeyframe()
			}
		}
	}
}
