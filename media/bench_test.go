package media

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"fayun/media/internal/testpattern"
)

// BenchmarkIdleFanoutPerSubscriber measures what the shared idle stream costs per viewer per
// frame: the RTP header rewrite, the SRTP protection and the UDP send to a real connected
// peer on loopback (no encoding: the loop is pre-encoded).
func BenchmarkIdleFanoutPerSubscriber(b *testing.B) {
	api, err := NewAPI(Config{LoopbackOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	server, _ := api.NewPeerConnection()
	client, _ := api.NewPeerConnection()
	defer server.Close()
	defer client.Close()
	idle, err := NewIdleStream(IdleStreamConfig{Loop: time.Second}, testpattern.Draw)
	if err != nil {
		b.Fatal(err)
	}
	idle.Close() // frames are pushed by hand below
	vtrack, _ := NewVideoTrack("avatar")
	if _, err := server.AddTrack(vtrack); err != nil {
		b.Fatal(err)
	}
	v, err := NewVideoSender(vtrack, VideoSenderConfig{Idle: idle})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	client.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	_, _ = client.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	connect(b, client, server)

	packets := 0
	for _, f := range idle.frames {
		packets += len(f.payloads)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v.idleFrame(&idle.frames[i%len(idle.frames)], time.Now())
		i++
	}
	b.ReportMetric(float64(packets)/float64(len(idle.frames)), "packets/frame")
	b.ReportMetric(b.Elapsed().Seconds()/float64(i)*25*100, "%core/viewer@25fps")
}

// BenchmarkIdleCallMemory connects pairs of peers with the full idle-call media (audio
// sender, video sender on a shared idle stream, caller audio receiver, RTCP readers) and
// reports the Go heap per pair after two seconds of media. Both peers of each pair live in
// this process, so the figure is an upper bound for the server's share. C memory of libopus
// (about 50 KB per call) is not included.
func BenchmarkIdleCallMemory(b *testing.B) {
	const pairs = 20
	for range b.N {
		idle, err := NewIdleStream(IdleStreamConfig{}, testpattern.Draw)
		if err != nil {
			b.Fatal(err)
		}
		before := heap()
		var cps []*callPair
		for range pairs {
			cps = append(cps, newCallPairOn(b, idle))
		}
		ctx := context.Background()
		for _, cp := range cps {
			_, _ = cp.clientAudio.Enqueue(ctx, vowelSeconds(0.5))
		}
		time.Sleep(2 * time.Second)
		after := heap()
		b.ReportMetric(float64(after-before)/pairs/1e6, "MB/pair")
		b.ReportMetric(float64(runtime.NumGoroutine())/pairs, "goroutines/pair")
		for _, cp := range cps {
			cp.idle = nil
			cp.closeAll(b)
		}
		idle.Close()
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
