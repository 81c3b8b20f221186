package calls

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"fayun/avatars/viseme"
	"fayun/dialog/answer"
	"fayun/dialog/audio"
	"fayun/dialog/handoff"
	"fayun/dialog/stt"
	"fayun/dialog/tts"
	"fayun/dialog/vad"
	"fayun/lawyers"
	"fayun/media"
	"fayun/signaling"
	"fayun/store/storetest"
)

// Zero-latency engines, for measuring what the pipeline itself adds to a turn.
type (
	instantSTT    struct{}
	instantAnswer struct{}
	instantTTS    struct{ speech tts.Speech }
)

func (instantSTT) Recognize(context.Context, audio.PCM, string) (stt.Result, error) {
	return stt.Result{Text: "how long is probation", Lang: "en", Confidence: 1}, nil
}

func (instantAnswer) Answer(ctx context.Context, s *answer.Session, q, lang string) (*answer.Reply, error) {
	return instantAnswer{}.Stream(ctx, s, q, lang, nil)
}

func (instantAnswer) Stream(_ context.Context, _ *answer.Session, q, lang string,
	emit func(answer.Event) error) (*answer.Reply, error) {
	r := &answer.Reply{Answer: "Up to six months.", Sentences: []string{"Up to six months."},
		Known: true, Lang: lang}
	return r, answer.Emit(r, emit)
}

func (t instantTTS) Synthesize(context.Context, string, tts.Voice) (tts.Speech, error) {
	return t.speech, nil
}

// benchCall starts one call (no client: the avatar's packets are written and dropped)
// on a host built with the given engines.
func benchCall(b *testing.B, rec stt.Recognizer, ans answer.Answerer, voice tts.Synthesizer,
	hangover time.Duration) (*Call, *Records) {
	b.Helper()
	ctx := context.Background()
	pool := storetest.New(b)
	dir := lawyers.NewDirectory(pool)
	if _, err := dir.Seed(ctx); err != nil {
		b.Fatal(err)
	}
	api, err := media.NewAPI(media.Config{LoopbackOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	records := NewRecords(pool, "bench")
	h := NewHost(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Media: api,
		Directory: dir, Records: records, Answerer: ans, Speech: rec, Voice: voice,
		VAD: vad.Config{Hangover: hangover}})
	sess, err := h.Start(ctx, signaling.JoinRequest{Lawyer: 3, Lang: "en"},
		&sink{cands: make(chan webrtc.ICECandidateInit, 64)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sess.Hangup("bench"); <-sess.Done() })
	return sess.(*Call), records
}

// runTurns pushes utterance (16 kHz) followed by silence b.N times, waits for each turn
// to be recorded and returns the turns' first-audio latencies.
func runTurns(b *testing.B, c *Call, records *Records, utterance []int16) []time.Duration {
	b.Helper()
	ctx := context.Background()
	silence := make([]int16, 1600) // 100 ms
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		played := c.audio.PlayedSamples()
		for range 10 { // settle the noise floor
			c.conv.PushAudio(slices.Clone(silence))
		}
		for off := 0; off < len(utterance); off += 1600 {
			c.conv.PushAudio(slices.Clone(utterance[off:min(off+1600, len(utterance))]))
			time.Sleep(time.Millisecond)
		}
		for range 15 {
			c.conv.PushAudio(slices.Clone(silence))
			time.Sleep(time.Millisecond)
		}
		// Once the answer is audible, cut it short: the turn is then recorded at once.
		deadline := time.Now().Add(30 * time.Second)
		for c.audio.PlayedSamples() == played && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		c.conv.Interrupt()
		for {
			turns, err := records.Turns(ctx, c.ID())
			if err != nil {
				b.Fatal(err)
			}
			if len(turns) > i {
				var ms int
				err := records.pool.QueryRow(ctx, `SELECT coalesce(first_audio_ms, -1) FROM call_turns
					WHERE call_id = $1 ORDER BY seq DESC LIMIT 1`, c.ID()).Scan(&ms)
				if err != nil || ms < 0 {
					b.Fatalf("turn %d has no first audio (%v)", i, err)
				}
				lat = append(lat, time.Duration(ms)*time.Millisecond)
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("turn %d was not recorded", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return lat
}

func report(b *testing.B, lat []time.Duration, offset time.Duration, unit string) {
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return float64((lat[max(i, 0)] - offset).Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50_"+unit)
	b.ReportMetric(q(0.99), "p99_"+unit)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTurnOverhead measures what the pipeline adds to a turn with zero-latency
// engines: from the moment the end of the caller's turn is detected (end of speech plus
// the hangover) to the first avatar audio packet written to the track. It includes the
// conversation loop, Opus encoding and the 20 ms pacing of the audio sender.
func BenchmarkTurnOverhead(b *testing.B) {
	speech := tts.Speech{Text: "Up to six months.",
		Audio:   audio.PCM{Rate: tts.OutputRate, Samples: tone(tts.OutputRate, 200*time.Millisecond)},
		Visemes: viseme.Timeline{{At: 0, Shape: viseme.AA}, {At: 150 * time.Millisecond}}}
	const hangover = 700 * time.Millisecond
	c, records := benchCall(b, instantSTT{}, instantAnswer{}, instantTTS{speech: speech}, hangover)
	lat := runTurns(b, c, records, tone(16000, 600*time.Millisecond))
	report(b, lat, hangover, "ms_detect_to_audio")
}

// BenchmarkVoiceToVoice measures a turn with the embedded engines (PocketSphinx,
// the embedded answer engine over the cards, eSpeak NG): from the end of the caller's
// speech to the first avatar audio packet, hangover included.
func BenchmarkVoiceToVoice(b *testing.B) {
	ctx := context.Background()
	raw := filepath.Join(b.TempDir(), "q.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", raw,
		"How long can the probation period be?").CombinedOutput(); err != nil {
		b.Fatalf("espeak-ng: %v: %s", err, out)
	}
	f, err := os.Open(raw)
	if err != nil {
		b.Fatal(err)
	}
	pcm, err := audio.ReadWAV(f, time.Minute)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	q, err := audio.Resample(pcm, 16000)
	if err != nil {
		b.Fatal(err)
	}
	sphinx, err := stt.NewSphinx(stt.SphinxConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer sphinx.Close()
	pool := storetest.New(b)
	engine, _, err := answer.Load(ctx, pool, handoff.Policy{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer engine.Index().Close()
	for _, hangover := range []time.Duration{700 * time.Millisecond, 450 * time.Millisecond} {
		b.Run("hangover="+hangover.String(), func(b *testing.B) {
			c, records := benchCall(b, sphinx, engine, tts.ESpeak{}, hangover)
			lat := runTurns(b, c, records, q.Samples)
			report(b, lat, 0, "ms_voice_to_voice")
		})
	}
}

func tone(rate int, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		x := float64(i) / float64(rate)
		out[i] = int16(9000*math.Sin(2*math.Pi*220*x) + 4000*math.Sin(2*math.Pi*440*x))
	}
	return out
}

// BenchmarkBargeIn measures how long the avatar keeps talking after the caller starts
// to: caller audio is fed in real time (20 ms chunks) while a long answer plays, and the
// clock runs from the first chunk of the caller's speech until the avatar's queued audio
// has been dropped. It includes the voice activity detector's onset delay.
func BenchmarkBargeIn(b *testing.B) {
	long := tone(tts.OutputRate, 8*time.Second)
	speech := tts.Speech{Text: "A long answer.", Audio: audio.PCM{Rate: tts.OutputRate, Samples: long}}
	c, _ := benchCall(b, instantSTT{}, instantAnswer{}, instantTTS{speech: speech},
		700*time.Millisecond)
	silence := make([]int16, 320)
	voice := tone(16000, 400*time.Millisecond)
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		for range 25 { // half a second of quiet: the noise floor settles
			c.conv.PushAudio(slices.Clone(silence))
		}
		c.conv.Ask("tell me everything")
		for c.audio.QueuedFrames() < 50 { // the answer is queued and playing
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		stopped := time.Duration(0)
		tick := time.NewTicker(20 * time.Millisecond)
		for off := 0; off+320 <= len(voice); off += 320 {
			c.conv.PushAudio(slices.Clone(voice[off : off+320]))
			if stopped == 0 && c.audio.QueuedFrames() == 0 {
				stopped = time.Since(start)
			}
			<-tick.C
		}
		tick.Stop()
		for stopped == 0 {
			if c.audio.QueuedFrames() == 0 {
				stopped = time.Since(start)
			}
			if time.Since(start) > 5*time.Second {
				b.Fatal("the avatar did not stop")
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, stopped)
		// The caller's words start a turn of their own; let it finish before the next.
		for range 50 {
			c.conv.PushAudio(slices.Clone(silence))
		}
		time.Sleep(300 * time.Millisecond)
		c.conv.Interrupt()
		c.audio.Flush()
		time.Sleep(100 * time.Millisecond)
	}
	report(b, lat, 0, "ms_onset_to_silence")
}
