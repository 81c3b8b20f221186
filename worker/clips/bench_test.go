package clips

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"fayun/avatars"
	"fayun/dialog/tts"
	"fayun/lawyers"
)

// benchScript is about twelve seconds of Mandarin speech in three sentences.
const benchScript = "用人单位自用工之日起即与劳动者建立劳动关系。" +
	"建立劳动关系，应当订立书面劳动合同。已建立劳动关系，未同时订立书面劳动合同的，应当自用工之日起一个月内订立。"

// benchmarkRender measures the whole pipeline of one clip on one worker: sentence-by-
// sentence synthesis, avatar frames, subtitles, ffmpeg encoding; it reports the
// speed as a multiple of real time (x_realtime).
func benchmarkRender(b *testing.B, size Size, f Format) {
	l := lawyers.Roster()[4]
	v := Voice(l, "zh", 1, 0)
	av, err := avatars.New(persona(l), avatars.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var clip time.Duration
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := synthesise(context.Background(), tts.ESpeak{}, Sentences(benchScript), v, func(int) {})
		if err != nil {
			b.Fatal(err)
		}
		r, err := av.NewRenderer(size.W, size.H)
		if err != nil {
			b.Fatal(err)
		}
		job := encodeJob{ffmpeg: "ffmpeg", size: size,
			outputs: map[Format]string{f: filepath.Join(dir, "out."+string(f))},
			ass:     filepath.Join(dir, "subs.ass")}
		if err := os.WriteFile(job.ass, []byte(ASS(size, t.cues, "劳动合同", t.duration())), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := encode(context.Background(), job, t, frameDrawer(r, t, size), func(int) {}); err != nil {
			b.Fatal(err)
		}
		clip += t.duration()
	}
	b.ReportMetric(clip.Seconds()/b.Elapsed().Seconds(), "x_realtime")
	// CPU seconds of this process and ffmpeg per second of clip: independent of other
	// load on the machine, unlike the wall-clock multiple.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/clip.Seconds(), "cpu_s/clip_s")
}

// cpuTime returns the user and system time of this process and its waited-for children.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

func BenchmarkRender640MP4(b *testing.B)   { benchmarkRender(b, Size{640, 360}, MP4) }
func BenchmarkRender640WebM(b *testing.B)  { benchmarkRender(b, Size{640, 360}, WebM) }
func BenchmarkRender1280MP4(b *testing.B)  { benchmarkRender(b, Size{1280, 720}, MP4) }
func BenchmarkRender1280WebM(b *testing.B) { benchmarkRender(b, Size{1280, 720}, WebM) }
