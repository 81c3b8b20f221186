package tts

/*
#cgo pkg-config: espeak-ng
#include <stdlib.h>
#include <espeak-ng/speak_lib.h>

int fayunSynthCallback(short *wav, int n, espeak_EVENT *events);

static void fayunSetCallback(void) { espeak_SetSynthCallback(fayunSynthCallback); }
*/
import "C"

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"fayun/avatars/viseme"
	"fayun/dialog/audio"
)

// ESpeak is the embedded eSpeak NG engine. eSpeak NG keeps its voice, parameters and
// output callback in process-wide state, so all ESpeak values share one lock and
// synthesize one sentence at a time; at roughly a thousand times real time on one
// core that still serves many calls (docs/bench-speech.md). The zero value is ready.
type ESpeak struct{}

// espeak is the process-wide engine state, guarded by the slot semaphore.
var espeak struct {
	once    sync.Once
	initErr error
	rate    int           // eSpeak's output rate, 22,050 Hz
	slot    chan struct{} // one synthesis at a time

	// The job being synthesized, touched only by the holder of slot and the
	// callback it triggers on the same thread.
	samples []int16
	cues    viseme.Timeline
	stop    atomic.Bool
}

func espeakInit() error {
	espeak.once.Do(func() {
		espeak.slot = make(chan struct{}, 1)
		opts := C.int(C.espeakINITIALIZE_PHONEME_EVENTS | C.espeakINITIALIZE_PHONEME_IPA |
			C.espeakINITIALIZE_DONT_EXIT)
		r := C.espeak_Initialize(C.AUDIO_OUTPUT_SYNCHRONOUS, 100, nil, opts)
		if r <= 0 {
			espeak.initErr = fmt.Errorf("espeak: initialize failed (%d)", int(r))
			return
		}
		espeak.rate = int(r)
		C.fayunSetCallback()
	})
	return espeak.initErr
}

//export fayunGoSynthChunk
func fayunGoSynthChunk(wav *C.short, n C.int, events *C.espeak_EVENT) C.int {
	if wav != nil && n > 0 {
		espeak.samples = append(espeak.samples, unsafe.Slice((*int16)(unsafe.Pointer(wav)), int(n))...)
	}
	for ev := events; ev != nil && ev._type != C.espeakEVENT_LIST_TERMINATED; ev = nextEvent(ev) {
		if ev._type != C.espeakEVENT_PHONEME {
			continue
		}
		raw := C.GoBytes(unsafe.Pointer(&ev.id[0]), 8)
		if k := strings.IndexByte(string(raw), 0); k >= 0 {
			raw = raw[:k]
		}
		at := time.Duration(ev.audio_position) * time.Millisecond
		espeak.cues = append(espeak.cues, viseme.Cue{At: at, Shape: ShapeForIPA(string(raw))})
	}
	if espeak.stop.Load() {
		return 1 // abort synthesis
	}
	return 0
}

func nextEvent(ev *C.espeak_EVENT) *C.espeak_EVENT {
	return (*C.espeak_EVENT)(unsafe.Add(unsafe.Pointer(ev), unsafe.Sizeof(*ev)))
}

// Synthesize speaks text in voice v and returns 48 kHz audio with its visemes. It
// waits for the process-wide eSpeak lock (or ctx) and aborts within one 100 ms
// buffer of eSpeak output (microseconds of work) when ctx is cancelled.
func (ESpeak) Synthesize(ctx context.Context, text string, v Voice) (Speech, error) {
	if err := espeakInit(); err != nil {
		return Speech{}, err
	}
	text = Clean(text)
	if v.Lang == "zh" {
		text = normalizeChinese(text)
	}
	if text == "" {
		return Speech{}, ErrNoSpeech
	}
	select {
	case espeak.slot <- struct{}{}:
	case <-ctx.Done():
		return Speech{}, ctx.Err()
	}
	raw, cues, err := espeakRun(ctx, text, v)
	<-espeak.slot
	if err != nil {
		return Speech{}, err
	}
	pcm, err := audio.Resample(audio.PCM{Rate: espeak.rate, Samples: raw}, OutputRate)
	if err != nil {
		return Speech{}, fmt.Errorf("espeak: %w", err)
	}
	end := pcm.Duration()
	cues = append(cues, viseme.Cue{At: end, Shape: viseme.Rest})
	return Speech{Text: text, Audio: pcm, Visemes: compact(cues)}, nil
}

// espeakRun synthesizes while holding the slot.
func espeakRun(ctx context.Context, text string, v Voice) ([]int16, viseme.Timeline, error) {
	name := v.ESpeakName
	if name == "" {
		name = espeakVoiceByLang["en"]
	}
	if v.ESpeakVariant != "" {
		name += "+" + v.ESpeakVariant
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.espeak_SetVoiceByName(cname) != C.EE_OK {
		return nil, nil, fmt.Errorf("espeak: unknown voice %q", name)
	}
	setParam := func(p C.espeak_PARAMETER, val, lo, hi int) {
		if val != 0 {
			C.espeak_SetParameter(p, C.int(min(max(val, lo), hi)), 0)
		}
	}
	setParam(C.espeakRATE, v.Rate, 80, 450)
	setParam(C.espeakPITCH, v.Pitch, 0, 100)
	setParam(C.espeakRANGE, v.Range, 0, 100)

	espeak.samples = make([]int16, 0, espeak.rate*len(text)/10)
	espeak.cues = espeak.cues[:0:0]
	espeak.stop.Store(false)
	done := make(chan struct{})
	go func() { // turns cancellation into the callback's abort flag
		select {
		case <-ctx.Done():
			espeak.stop.Store(true)
		case <-done:
		}
	}()
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	flags := C.uint(C.espeakCHARS_UTF8 | C.espeakENDPAUSE)
	r := C.espeak_Synth(unsafe.Pointer(ctext), C.size_t(len(text)+1), 0, C.POS_CHARACTER, 0,
		flags, nil, nil)
	close(done)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if r != C.EE_OK {
		return nil, nil, fmt.Errorf("espeak: synthesis failed (%d)", int(r))
	}
	return espeak.samples, espeak.cues, nil
}

var (
	zhPercent = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*[%％]`)
	zhDecimal = regexp.MustCompile(`(\d)\.(\d)`)
)

// normalizeChinese rewrites what eSpeak's Mandarin voice reads badly: "3.5%"
// becomes "百分之3点5" (it would say "san wu percent" in English otherwise).
func normalizeChinese(s string) string {
	s = zhPercent.ReplaceAllString(s, "百分之$1")
	s = zhDecimal.ReplaceAllString(s, "${1}点${2}")
	return s
}
