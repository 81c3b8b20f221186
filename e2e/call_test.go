package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fayun/internal/browsertest"
)

func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }

// openCall opens the call page of lawyer id and starts the call, typed-only or with
// the (fake) microphone, in language lang.
func openCall(t *testing.T, ctx context.Context, srv *browsertest.Server, id, lang string,
	mic bool) {
	t.Helper()
	button := "#start-text"
	if mic {
		button = "#start"
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/call/"+id+"?lang="+lang),
		chromedp.WaitVisible(chromedp.CSS("#start")),
		chromedp.Click(chromedp.CSS(button)),
	)
	if err != nil {
		t.Fatalf("open call page: %v", err)
	}
	browsertest.WaitFor(t, ctx, "the call to join", `window.fayunCall && window.fayunCall.id !== ""`,
		20*time.Second)
}

// ask types a question into the call page and sends it.
func ask(t *testing.T, ctx context.Context, question string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#ask-text"), question),
		chromedp.Click(chromedp.CSS("#ask button[type=submit]")),
	)
	if err != nil {
		t.Fatalf("ask %q: %v", question, err)
	}
}

// Expressions read from the page.
const (
	videoFrames = `(() => { const v = document.getElementById("remote-video");
		return v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0; })()`
	// The page keeps its inbound totals from getStats in fayunCall.stats, once a second.
	audioSamples = `(window.fayunCall.stats ? window.fayunCall.stats.audioSamples : 0)`
	greeted      = `window.fayunCall.captions.some(c => c.speaker === "avatar")`
)

func TestTypedQuestionShowsCaptionsAndCitations(t *testing.T) {
	srv := browsertest.StartServer(t, browsertest.Options{Laws: true})
	ctx := browsertest.NewBrowser(t, browsertest.BrowserOptions{})
	openCall(t, ctx, srv, "5", "zh", false)

	browsertest.WaitFor(t, ctx, "the greeting", greeted, 20*time.Second)
	browsertest.WaitFor(t, ctx, "decoded video frames", videoFrames+" > 10", 20*time.Second)
	ask(t, ctx, "厂房租赁合同最长能签几年？")
	browsertest.WaitFor(t, ctx, "the citation of Civil Code article 705",
		`window.fayunCall.citations.some(c => c.law === "中华人民共和国民法典" && c.article === 705)`,
		20*time.Second)
	browsertest.WaitFor(t, ctx, "the citation card on the page",
		`document.querySelectorAll("#citations .cite").length > 0`, 5*time.Second)
	browsertest.WaitFor(t, ctx, "the spoken answer's caption",
		`document.getElementById("captions").textContent.includes("二十年")`, 20*time.Second)
	browsertest.WaitFor(t, ctx, "avatar audio samples", audioSamples+" > 48000", 20*time.Second)
	browsertest.Screenshot(t, ctx, "call-typed")

	// The article opens in full from its card.
	card := `#citations .cite[data-key="中华人民共和国民法典#705"] button`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(card))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, "the full article",
		`document.getElementById("article-body").textContent.includes("二十年")`, 5*time.Second)
	browsertest.Screenshot(t, ctx, "call-article")
}

// speechWAV makes a WAV for Chromium's fake microphone: pad seconds of silence, the
// text spoken by eSpeak NG in English, then tail seconds of silence.
func speechWAV(t *testing.T, text string, pad, tail float64) string {
	t.Helper()
	dir := t.TempDir()
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "mic.wav")
	if b, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "150", "-w", raw, text).
		CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, b)
	}
	args := []string{raw, "-r", "48000", "-c", "1", "-b", "16", out, "pad",
		ftoa(pad), ftoa(tail)}
	if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v: %s", err, b)
	}
	return out
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func TestSpokenQuestionWithEmbeddedRecognizer(t *testing.T) {
	wav := speechWAV(t, "How long is the limitation period for a contract claim?", 7, 4)
	srv := browsertest.StartServer(t, browsertest.Options{Laws: true})
	ctx := browsertest.NewBrowser(t, browsertest.BrowserOptions{FakeAudio: wav})
	openCall(t, ctx, srv, "5", "en", true)

	browsertest.WaitFor(t, ctx, "the transcript of the spoken question",
		`window.fayunCall.captions.some(c => c.speaker === "user" && c.final &&
			/limitation/i.test(c.text))`, 40*time.Second)
	browsertest.WaitFor(t, ctx, "an answer to it, with citations",
		`window.fayunCall.citations.length > 0 && window.fayunCall.states.lastIndexOf("speaking") >
			window.fayunCall.states.lastIndexOf("thinking")`, 30*time.Second)
	got := browsertest.Eval[string](t, ctx,
		`window.fayunCall.captions.filter(c => c.speaker === "user").map(c => c.text).join(" | ")`)
	t.Logf("recognised: %s", got)
	browsertest.Screenshot(t, ctx, "call-spoken")
}

func TestBargeInStopsTheAvatar(t *testing.T) {
	// The caller starts talking 2.5 s after the microphone opens: the avatar is then
	// still speaking its greeting.
	wav := speechWAV(t, "Excuse me, I have a question about overtime pay.", 2.5, 4)
	srv := browsertest.StartServer(t, browsertest.Options{})
	ctx := browsertest.NewBrowser(t, browsertest.BrowserOptions{FakeAudio: wav})
	openCall(t, ctx, srv, "9", "en", true)

	browsertest.WaitFor(t, ctx, "the avatar to speak", `window.fayunCall.states.includes("speaking")`,
		20*time.Second)
	browsertest.WaitFor(t, ctx, "the greeting to be cut off",
		`window.fayunCall.captions.some(c => c.speaker === "avatar" && c.final && c.interrupted)`,
		30*time.Second)
	states := browsertest.Eval[[]string](t, ctx, `window.fayunCall.states`)
	i := indexOf(states, "speaking")
	if i < 0 || indexOf(states[i:], "listening") < 0 {
		t.Fatalf("states %v: want listening after speaking", states)
	}
}

func TestSocketDropResumesTheCall(t *testing.T) {
	srv := browsertest.StartServer(t, browsertest.Options{})
	ctx := browsertest.NewBrowser(t, browsertest.BrowserOptions{})
	openCall(t, ctx, srv, "3", "zh", false)
	browsertest.WaitFor(t, ctx, "the greeting", greeted, 20*time.Second)
	callID := browsertest.Eval[string](t, ctx, `window.fayunCall.id`)

	browsertest.Eval[bool](t, ctx, `window.fayunCall.ws.close(), true`)
	browsertest.WaitFor(t, ctx, "the resumed socket",
		`window.fayunCall.reconnects >= 1 && window.fayunCall.ws.readyState === 1 &&
			document.getElementById("banner").textContent !== ""`, 20*time.Second)
	browsertest.WaitFor(t, ctx, "ICE to reconnect", `window.fayunCall.pc.connectionState === "connected"`,
		20*time.Second)
	if id := browsertest.Eval[string](t, ctx, `window.fayunCall.id`); id != callID {
		t.Fatalf("call id changed from %s to %s: a new call, not a resumed one", callID, id)
	}
	ask(t, ctx, "试用期最长多久？")
	browsertest.WaitFor(t, ctx, "an answer after resuming", `window.fayunCall.states.lastIndexOf("thinking") >
		window.fayunCall.states.indexOf("speaking")`, 20*time.Second)
	browsertest.Screenshot(t, ctx, "call-resumed")
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestBusyNodeRefusesPolitely(t *testing.T) {
	srv := browsertest.StartServer(t, browsertest.Options{Env: []string{"FAYUN_MAX_CALLS=1"}})
	first := browsertest.NewBrowser(t, browsertest.BrowserOptions{})
	openCall(t, first, srv, "2", "zh", false)

	second, cancel := chromedp.NewContext(first) // a second tab of the same browser
	defer cancel()
	err := chromedp.Do(second,
		chromedp.Navigate(srv.URL+"/call/4?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS("#start")),
		chromedp.Click(chromedp.CSS("#start-text")),
	)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, second, "the busy message",
		`document.getElementById("banner").textContent.includes("线路繁忙") &&
			!document.getElementById("join").hidden`, 20*time.Second)
	browsertest.Screenshot(t, second, "call-busy")
}
