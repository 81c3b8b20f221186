package media

import (
	"context"
	"image"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"fayun/media/internal/testpattern"
	"fayun/media/opus"
	"fayun/media/vpx"
)

// vowel fills pcm with a synthetic sustained vowel (120 Hz pulse train through formants at
// 730, 1090 and 2440 Hz) starting at sample pos, at 48 kHz.
func vowel(pcm []int16, pos int) {
	formants := [...]struct{ f, bw, gain float64 }{{730, 90, 1}, {1090, 110, 0.5}, {2440, 170, 0.25}}
	for i := range pcm {
		tm := float64(pos+i) / 48000
		f0 := 120 + 8*math.Sin(2*math.Pi*3*tm)
		var v float64
		for h := 1; float64(h)*f0 < 4000; h++ {
			fh := float64(h) * f0
			var env float64
			for _, fm := range formants {
				d := (fh - fm.f) / fm.bw
				env += fm.gain / (1 + d*d)
			}
			v += env * math.Sin(2*math.Pi*fh*tm) / float64(h)
		}
		pcm[i] = int16(6000 * v)
	}
}

func vowelSeconds(sec float64) []int16 {
	pcm := make([]int16, int(sec*48000))
	vowel(pcm, 0)
	return pcm
}

// white draws a flat bright picture, easy to tell from the idle test pattern once decoded.
func white(dst *image.YCbCr, _ time.Duration) {
	for i := range dst.Y {
		dst.Y[i] = 235
	}
	for i := range dst.Cb {
		dst.Cb[i], dst.Cr[i] = 128, 128
	}
}

func meanLuma(img *image.YCbCr) float64 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	sum := 0
	for y := range h {
		for _, v := range img.Y[y*img.YStride : y*img.YStride+w] {
			sum += int(v)
		}
	}
	return float64(sum) / float64(w*h)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// videoWatcher depacketizes (RFC 7741 §4) and decodes the VP8 stream a client receives, and
// checks RTP continuity (RFC 3550 §5.1) across source switches.
type videoWatcher struct {
	mu         sync.Mutex
	dec        *vpx.Decoder
	frame      []byte
	frameTS    uint32
	haveFrame  bool
	lastSeq    uint16
	lastTS     uint32
	ssrc       uint32
	started    bool
	seqGaps    int
	tsBackward int
	ssrcChange int
	decoded    int
	keyframes  int
	decodeErrs int
	lumas      []float64 // mean luma of each decoded frame
}

func (w *videoWatcher) packet(p *rtp.Packet) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		if p.SequenceNumber != w.lastSeq+1 {
			w.seqGaps++
		}
		if int32(p.Timestamp-w.lastTS) < 0 {
			w.tsBackward++
		}
		if p.SSRC != w.ssrc {
			w.ssrcChange++
		}
	}
	w.started, w.lastSeq, w.lastTS, w.ssrc = true, p.SequenceNumber, p.Timestamp, p.SSRC

	pl := p.Payload
	if len(pl) < 1 {
		return
	}
	start := pl[0]&0x10 != 0
	off := 1
	if pl[0]&0x80 != 0 { // X: extension octet (RFC 7741 §4.2)
		ext := pl[1]
		off = 2
		if ext&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if pl[off]&0x80 != 0 {
				off += 2
			} else {
				off++
			}
		}
		if ext&0x40 != 0 {
			off++
		}
		if ext&0x30 != 0 {
			off++
		}
	}
	if start {
		w.frame = w.frame[:0]
		w.frameTS = p.Timestamp
		w.haveFrame = true
	}
	if !w.haveFrame || p.Timestamp != w.frameTS {
		w.haveFrame = false
		return
	}
	w.frame = append(w.frame, pl[off:]...)
	if !p.Marker {
		return
	}
	w.haveFrame = false
	if w.frame[0]&1 == 0 { // RFC 6386 §9.1: key frame
		w.keyframes++
	} else if w.decoded == 0 {
		return // nothing decodable before the first keyframe
	}
	img, err := w.dec.Decode(w.frame)
	if err != nil || img == nil {
		w.decodeErrs++
		return
	}
	w.decoded++
	w.lumas = append(w.lumas, meanLuma(img))
}

func (w *videoWatcher) snapshot() (decoded, keys, errs int, lastLuma float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.lumas) > 0 {
		lastLuma = w.lumas[len(w.lumas)-1]
	}
	return w.decoded, w.keyframes, w.decodeErrs, lastLuma
}

// callPair is a server peer (the media layer under test) and a client peer connected over
// loopback.
type callPair struct {
	server, client *webrtc.PeerConnection
	audio          *AudioSender
	video          *VideoSender
	idle           *IdleStream
	clientAudio    *AudioSender // the "caller's microphone"

	callerFrames  atomic.Int64 // frames delivered by the server's AudioReceiver
	callerLoud    atomic.Int64 // of which with speech-like energy
	receiver      atomic.Pointer[AudioReceiver]
	avatarPackets atomic.Int64
	avatarSamples atomic.Int64
	avatarEnergy  atomic.Int64 // sum of |sample| / 1000 of decoded avatar audio
	videoSSRC     atomic.Uint32
	watch         *videoWatcher
	talkStarts    atomic.Int64
	wg            sync.WaitGroup
	keyframeReqs  atomic.Int64
}

func newCallPair(t *testing.T, idleSrc FrameSource) *callPair {
	t.Helper()
	idle, err := NewIdleStream(IdleStreamConfig{Loop: 2 * time.Second}, idleSrc)
	if err != nil {
		t.Fatal(err)
	}
	return newCallPairOn(t, idle)
}

func newCallPairOn(t testing.TB, idle *IdleStream) *callPair {
	t.Helper()
	api, err := NewAPI(Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	cp := &callPair{idle: idle}
	if cp.server, err = api.NewPeerConnection(); err != nil {
		t.Fatal(err)
	}
	if cp.client, err = api.NewPeerConnection(); err != nil {
		t.Fatal(err)
	}

	// Server side: the media layer as the live call will use it.
	atrack, err := NewAudioTrack("avatar")
	if err != nil {
		t.Fatal(err)
	}
	vtrack, err := NewVideoTrack("avatar")
	if err != nil {
		t.Fatal(err)
	}
	asend, err := cp.server.AddTrack(atrack)
	if err != nil {
		t.Fatal(err)
	}
	vsend, err := cp.server.AddTrack(vtrack)
	if err != nil {
		t.Fatal(err)
	}
	cp.audio, err = NewAudioSender(atrack, AudioSenderConfig{
		OnTalkStart: func(time.Time) { cp.talkStarts.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	cp.video, err = NewVideoSender(vtrack, VideoSenderConfig{Idle: cp.idle})
	if err != nil {
		t.Fatal(err)
	}
	cp.wg.Add(2)
	go func() { defer cp.wg.Done(); DrainRTCP(asend, nil) }()
	go func() {
		defer cp.wg.Done()
		DrainRTCP(vsend, func() { cp.keyframeReqs.Add(1); cp.video.RequestKeyframe() })
	}()
	cp.server.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		r, err := ReceiveAudio(tr, AudioReceiverConfig{})
		if err != nil {
			t.Error(err)
			return
		}
		cp.receiver.Store(r)
		for f := range r.Frames() {
			cp.callerFrames.Add(1)
			var e float64
			for _, s := range f.Samples {
				e += float64(s) * float64(s)
			}
			if !f.Concealed && math.Sqrt(e/FrameSamples16k) > 500 {
				cp.callerLoud.Add(1)
			}
		}
	})

	// Client side: a microphone track, and receivers that decode what arrives.
	mic, err := NewAudioTrack("caller")
	if err != nil {
		t.Fatal(err)
	}
	msend, err := cp.client.AddTrack(mic)
	if err != nil {
		t.Fatal(err)
	}
	cp.wg.Add(1)
	go func() { defer cp.wg.Done(); DrainRTCP(msend, nil) }()
	cp.clientAudio, err = NewAudioSender(mic, AudioSenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cp.client.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	if err != nil {
		t.Fatal(err)
	}
	vdec, err := vpx.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	cp.watch = &videoWatcher{dec: vdec}
	cp.client.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			cp.videoSSRC.Store(uint32(tr.SSRC()))
			for {
				p, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				cp.watch.packet(p)
			}
		}
		dec, err := opus.NewDecoder()
		if err != nil {
			t.Error(err)
			return
		}
		defer dec.Close()
		pcm := make([]int16, 5760)
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			n, err := dec.Decode(p.Payload, pcm)
			if err != nil {
				t.Errorf("avatar audio decode: %v", err)
				return
			}
			var e int64
			for _, s := range pcm[:n] {
				e += int64(math.Abs(float64(s)))
			}
			cp.avatarPackets.Add(1)
			cp.avatarSamples.Add(int64(n))
			cp.avatarEnergy.Add(e / 1000)
		}
	})

	connect(t, cp.client, cp.server)
	return cp
}

// connect runs the offer/answer exchange (RFC 8829 §5) with complete candidate lists.
func connect(t testing.TB, client, server *webrtc.PeerConnection) {
	t.Helper()
	offer, err := client.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(client)
	if err := client.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := server.SetRemoteDescription(*client.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := server.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(server)
	if err := server.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := client.SetRemoteDescription(*server.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "peers connected", func() bool {
		return server.ConnectionState() == webrtc.PeerConnectionStateConnected &&
			client.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
}

func (cp *callPair) close(t *testing.T) {
	t.Helper()
	cp.closeAll(t)
}

func (cp *callPair) closeAll(t testing.TB) {
	t.Helper()
	cp.audio.Close()
	cp.clientAudio.Close()
	cp.video.Close()
	if cp.idle != nil {
		cp.idle.Close()
	}
	if err := cp.client.Close(); err != nil {
		t.Error(err)
	}
	if err := cp.server.Close(); err != nil {
		t.Error(err)
	}
	if r := cp.receiver.Load(); r != nil {
		r.Close()
	}
	cp.wg.Wait()
	cp.watch.mu.Lock()
	cp.watch.dec.Close()
	cp.watch.mu.Unlock()
}

func TestCallMediaEndToEnd(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cp := newCallPair(t, testpattern.Draw)
	defer cp.close(t)
	ctx := context.Background()

	t.Run("idle video arrives and decodes", func(t *testing.T) {
		waitFor(t, "25 idle frames decoded", func() bool {
			d, _, _, _ := cp.watch.snapshot()
			return d >= 25
		})
		_, keys, errs, luma := cp.watch.snapshot()
		if keys == 0 || errs != 0 {
			t.Fatalf("keyframes %d, decode errors %d", keys, errs)
		}
		if luma > 200 {
			t.Fatalf("idle picture luma %.0f looks like the speaking source", luma)
		}
		if cp.idle.Subscribers() != 1 {
			t.Fatalf("idle stream has %d subscribers, want 1", cp.idle.Subscribers())
		}
	})

	t.Run("caller audio reaches the consumer at 16 kHz", func(t *testing.T) {
		if _, err := cp.clientAudio.Enqueue(ctx, vowelSeconds(1)); err != nil {
			t.Fatal(err)
		}
		if err := cp.clientAudio.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "40 loud caller frames", func() bool { return cp.callerLoud.Load() >= 40 })
		st := cp.receiver.Load().Stats()
		if st.DecodeErrors != 0 {
			t.Fatalf("receiver stats %+v", st)
		}
	})

	t.Run("avatar audio arrives and decodes", func(t *testing.T) {
		if _, err := cp.audio.Enqueue(ctx, vowelSeconds(0.5)); err != nil {
			t.Fatal(err)
		}
		if err := cp.audio.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "25 avatar packets", func() bool { return cp.avatarPackets.Load() >= 25 })
		if got := cp.avatarSamples.Load(); got < 25*960 {
			t.Fatalf("decoded %d samples", got)
		}
		// Mean |sample| of the vowel is in the thousands; silence would be near zero.
		if mean := cp.avatarEnergy.Load() * 1000 / cp.avatarSamples.Load(); mean < 300 {
			t.Fatalf("mean |sample| %d: decoded avatar audio is silent", mean)
		}
		if cp.talkStarts.Load() != 1 {
			t.Fatalf("talkspurts %d, want 1", cp.talkStarts.Load())
		}
	})

	t.Run("flush stops avatar audio at once", func(t *testing.T) {
		waitFor(t, "sender idle", func() bool { return cp.audio.QueuedFrames() == 0 })
		before := cp.audio.Stats().FramesSent
		if _, err := cp.audio.Enqueue(ctx, vowelSeconds(3)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "speech under way", func() bool { return cp.audio.Stats().FramesSent > before+5 })
		dropped := cp.audio.Flush()
		if dropped < 100 {
			t.Fatalf("flush dropped %d frames, want most of 3 s", dropped)
		}
		sent := cp.audio.Stats().FramesSent
		time.Sleep(200 * time.Millisecond)
		if extra := cp.audio.Stats().FramesSent - sent; extra > 1 {
			t.Fatalf("%d frames sent after flush, want at most 1", extra)
		}
	})

	t.Run("idle to speaking to idle keeps decoding", func(t *testing.T) {
		d0, k0, _, _ := cp.watch.snapshot()
		if err := cp.video.Speak(white); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "speaking frames decoded", func() bool {
			d, _, _, luma := cp.watch.snapshot()
			return d > d0+10 && luma > 200
		})
		_, k1, _, _ := cp.watch.snapshot()
		if k1 <= k0 {
			t.Fatal("switch to speaking did not start with a keyframe")
		}
		cp.video.Idle()
		waitFor(t, "idle frames again", func() bool {
			_, _, _, luma := cp.watch.snapshot()
			return luma < 200 && !cp.video.Speaking()
		})
		d1, _, _, _ := cp.watch.snapshot()
		waitFor(t, "idle keeps decoding", func() bool {
			d, _, _, _ := cp.watch.snapshot()
			return d > d1+10
		})
		cp.watch.mu.Lock()
		defer cp.watch.mu.Unlock()
		if cp.watch.decodeErrs != 0 || cp.watch.seqGaps != 0 || cp.watch.tsBackward != 0 ||
			cp.watch.ssrcChange != 0 {
			t.Fatalf("decode errors %d, sequence gaps %d, timestamps backwards %d, ssrc changes %d",
				cp.watch.decodeErrs, cp.watch.seqGaps, cp.watch.tsBackward, cp.watch.ssrcChange)
		}
		if st := cp.video.Stats(); st.Switches != 2 {
			t.Fatalf("switches %d, want 2", st.Switches)
		}
	})

	t.Run("PLI yields a keyframe", func(t *testing.T) {
		if err := cp.video.Speak(white); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "speaking", func() bool { return cp.video.Stats().Switches >= 3 })
		time.Sleep(200 * time.Millisecond) // past the switch's own keyframe
		_, k0, _, _ := cp.watch.snapshot()
		pli := &rtcp.PictureLossIndication{MediaSSRC: cp.videoSSRC.Load()}
		if err := cp.client.WriteRTCP([]rtcp.Packet{pli}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "keyframe after PLI", func() bool {
			_, k, _, _ := cp.watch.snapshot()
			return k > k0
		})
		if cp.keyframeReqs.Load() == 0 {
			t.Fatal("PLI never reached the sender")
		}
		cp.video.Idle()
	})
}
