package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fayun/internal/browsertest"
)

const devPassword = "handoff test password 1"

// seedLawyer gives lawyer id an account with devPassword on the server's database.
func seedLawyer(t *testing.T, srv *browsertest.Server, id string) {
	t.Helper()
	cmd := exec.Command(browsertest.Binary(t), "accounts", "dev-seed", "--lawyers", id,
		"--password", devPassword)
	cmd.Env = append(cmd.Environ(), "FAYUN_DATABASE_URL="+srv.DBURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("accounts dev-seed: %v: %s", err, out)
	}
}

// signInToConsole signs lawyer id in and waits for the console to be live and on duty.
func signInToConsole(t *testing.T, ctx context.Context, srv *browsertest.Server, id string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/signin?next=/console"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), id),
		chromedp.SendKeys(chromedp.CSS("#password"), devPassword),
		chromedp.Click(chromedp.CSS(".auth-submit")),
		chromedp.WaitVisible(chromedp.CSS("#console")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	browsertest.WaitFor(t, ctx, "the console socket", `window.fayunConsole &&
		window.fayunConsole.ws && window.fayunConsole.ws.readyState === 1`, 10*time.Second)
	if !browsertest.Eval[bool](t, ctx, `document.getElementById("duty").checked`) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`label.duty-toggle`))); err != nil {
			t.Fatalf("go on duty: %v", err)
		}
	}
	browsertest.WaitFor(t, ctx, "duty on", `window.fayunConsole.state.lawyer &&
		window.fayunConsole.state.lawyer.on_duty`, 10*time.Second)
}

func TestHandoffToLawyerAndBack(t *testing.T) {
	srv := browsertest.StartServer(t, browsertest.Options{Laws: true})
	seedLawyer(t, srv, "5")

	// The caller's microphone is silent (so the avatar hears no question), but its audio
	// still flows to the lawyer, whose console must decode it.
	caller := browsertest.NewBrowser(t, browsertest.BrowserOptions{FakeAudio: silenceWAV(t, 90)})
	lawyer := browsertest.NewBrowser(t, browsertest.BrowserOptions{})
	t.Cleanup(func() {
		if t.Failed() {
			browsertest.Screenshot(t, caller, "handoff-failed-caller")
			browsertest.Screenshot(t, lawyer, "handoff-failed-console")
			t.Logf("console errors: %s", browsertest.Eval[string](t, lawyer,
				`JSON.stringify(window.fayunConsole && window.fayunConsole.errors)`))
			t.Logf("detail: %s", browsertest.Eval[string](t, lawyer,
				`fetch("/api/console/handoffs/1").then(r => r.text())`))
			t.Logf("caller video: %s", browsertest.Eval[string](t, caller, `fayunCall.pc.getStats().then(
				st => { const o = []; st.forEach(s => { if (s.type === "inbound-rtp") o.push(s); });
				return JSON.stringify(o); })`))
			t.Logf("caller: %s", browsertest.Eval[string](t, caller,
				`JSON.stringify({states: fayunCall.states, turns: fayunCall.turns, errors: fayunCall.errors})`))
		}
	})
	signInToConsole(t, lawyer, srv, "5")

	openCall(t, caller, srv, "5", "zh", true)
	browsertest.WaitFor(t, caller, "the greeting", greeted, 20*time.Second)
	browsertest.WaitFor(t, caller, "avatar video", videoFrames+" > 10", 20*time.Second)
	ask(t, caller, "试用期最长多久？")
	browsertest.WaitFor(t, caller, "an answer with citations", `window.fayunCall.citations.length > 0`,
		20*time.Second)
	// The caller cuts the (long) spoken answer short, so the turn is stored at once.
	browsertest.Eval[bool](t, caller, `window.fayunCall.dc.send(JSON.stringify({type: "interrupt"})),
		true`)
	browsertest.WaitFor(t, caller, "the answer to end", `window.fayunCall.states.lastIndexOf("listening")
		> window.fayunCall.states.lastIndexOf("speaking")`, 10*time.Second)
	if err := chromedp.Do(caller, chromedp.Click(chromedp.CSS("#human"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, caller, "the handoff state", `window.fayunCall.states.includes("handoff")`,
		10*time.Second)

	// The offer reaches the console; the lawyer opens it and accepts.
	browsertest.WaitFor(t, lawyer, "the offer in the queue",
		`window.fayunConsole.state.offers > 0 && document.querySelector("#queue li.offer button")`,
		10*time.Second)
	if err := chromedp.Do(lawyer, chromedp.Click(chromedp.CSS("#queue li.offer button")),
		chromedp.WaitVisible(chromedp.CSS("#accept"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, lawyer, "the summary and the transcript",
		`document.getElementById("detail-summary").textContent.includes("试用期") &&
		document.getElementById("detail-transcript").textContent.includes("试用期")`, 5*time.Second)
	browsertest.Screenshot(t, lawyer, "handoff-console-offer")
	if err := chromedp.Do(lawyer, chromedp.Click(chromedp.CSS("#accept"))); err != nil {
		t.Fatal(err)
	}

	// Both sides decode each other's media.
	browsertest.WaitFor(t, caller, "the lawyer state", `window.fayunCall.state === "lawyer"`,
		15*time.Second)
	browsertest.WaitFor(t, lawyer, "the caller's audio on the console",
		`window.fayunConsole.stats && window.fayunConsole.stats.audioSamples > 24000`, 20*time.Second)
	base := browsertest.Eval[int](t, caller, videoFrames)
	browsertest.WaitFor(t, caller, "the lawyer's video frames", videoFrames+" > "+strconv.Itoa(base+30),
		20*time.Second)
	samples := browsertest.Eval[int](t, caller, audioSamples)
	browsertest.WaitFor(t, caller, "the lawyer's voice", audioSamples+" > "+strconv.Itoa(samples+48000),
		20*time.Second)
	browsertest.Screenshot(t, caller, "handoff-caller-lawyer")
	browsertest.Screenshot(t, lawyer, "handoff-console-incall")

	// The lawyer hands back; the avatar greets again.
	greetings := browsertest.Eval[int](t, caller,
		`window.fayunCall.captions.filter(c => c.speaker === "avatar" && c.final).length`)
	if err := chromedp.Do(lawyer, chromedp.Click(chromedp.CSS("#hand-back"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, caller, "the avatar back", `window.fayunCall.state !== "lawyer"`,
		10*time.Second)
	browsertest.WaitFor(t, caller, "a second greeting", `window.fayunCall.captions.filter(c =>
		c.speaker === "avatar" && c.final).length > `+strconv.Itoa(greetings), 20*time.Second)
	base = browsertest.Eval[int](t, caller, videoFrames)
	browsertest.WaitFor(t, caller, "avatar video again", videoFrames+" > "+strconv.Itoa(base+30),
		20*time.Second)
	browsertest.WaitFor(t, lawyer, "the console after hand back",
		`!window.fayunConsole.pc && document.getElementById("incall").hidden === false`, 10*time.Second)
	browsertest.Screenshot(t, caller, "handoff-caller-back")
	browsertest.Screenshot(t, lawyer, "handoff-console-after")
}

// silenceWAV makes a WAV of seconds of silence for Chromium's fake microphone.
func silenceWAV(t *testing.T, seconds int) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "silence.wav")
	args := []string{"-n", "-r", "48000", "-c", "1", "-b", "16", out, "trim", "0", strconv.Itoa(seconds)}
	if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v: %s", err, b)
	}
	return out
}

func TestHandoffUnansweredLeavesACallback(t *testing.T) {
	srv := browsertest.StartServer(t, browsertest.Options{})
	seedLawyer(t, srv, "7")
	caller := browsertest.NewBrowser(t, browsertest.BrowserOptions{})
	lawyer := browsertest.NewBrowser(t, browsertest.BrowserOptions{})
	err := chromedp.Do(lawyer, // signed in but off duty: nobody can take the call
		chromedp.Navigate(srv.URL+"/signin?next=/console"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), "7"),
		chromedp.SendKeys(chromedp.CSS("#password"), devPassword),
		chromedp.Click(chromedp.CSS(".auth-submit")),
		chromedp.WaitVisible(chromedp.CSS("#console")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}

	openCall(t, caller, srv, "7", "zh", false)
	browsertest.WaitFor(t, caller, "the greeting", greeted, 20*time.Second)
	if err := chromedp.Do(caller, chromedp.Click(chromedp.CSS("#human"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, caller, "the honest answer", `window.fayunCall.handoffs.includes("unanswered")
		&& !document.getElementById("callback-panel").hidden &&
		document.getElementById("banner").textContent.includes("没有真人律师")`, 15*time.Second)

	// A contact the server refuses, then a good one.
	err = chromedp.Do(caller,
		chromedp.SendKeys(chromedp.CSS("#callback-contact"), "call me!"),
		chromedp.Click(chromedp.CSS("#callback-send")),
	)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, caller, "the refusal", `!document.getElementById("callback-error").hidden`,
		10*time.Second)
	browsertest.Eval[bool](t, caller, `document.getElementById("callback-contact").value = "",
		document.getElementById("callback-window").selectedIndex = 2, true`)
	err = chromedp.Do(caller,
		chromedp.SendKeys(chromedp.CSS("#callback-contact"), "138 0013 8000"),
		chromedp.Click(chromedp.CSS("#callback-send")),
	)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, caller, "the saved callback", `window.fayunCall.callback === "saved" &&
		!document.getElementById("callback-done").hidden`, 10*time.Second)
	browsertest.Screenshot(t, caller, "handoff-caller-callback")

	// The callback request appears in the console.
	browsertest.WaitFor(t, lawyer, "the callback in the console", `document.getElementById("callbacks")
		.textContent.includes("138 0013 8000")`, 20*time.Second)
	browsertest.Screenshot(t, lawyer, "handoff-console-callback")
}
