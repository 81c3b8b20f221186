package e2e

import (
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fayun/internal/browsertest"
)

// TestStudioMakesAPlayableClip signs a staff member in, queues a two-sentence clip,
// follows its progress to 100 % and plays the result in the page's video element.
func TestStudioMakesAPlayableClip(t *testing.T) {
	srv := browsertest.StartServer(t, browsertest.Options{
		Env: []string{"FAYUN_CLIP_DIR=" + t.TempDir()}})
	cmd := exec.Command(browsertest.Binary(t), "accounts", "dev-seed", "--lawyers", "1",
		"--password", devPassword)
	cmd.Env = append(cmd.Environ(), "FAYUN_DATABASE_URL="+srv.DBURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("accounts dev-seed: %v: %s", err, out)
	}

	ctx := browsertest.NewBrowser(t, browsertest.BrowserOptions{Width: 412, Height: 900})
	t.Cleanup(func() {
		if t.Failed() {
			browsertest.Screenshot(t, ctx, "studio-failed")
		}
	})
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/signin?next=/studio"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), "staff@dev.fayun.local"),
		chromedp.SendKeys(chromedp.CSS("#password"), devPassword),
		chromedp.Click(chromedp.CSS(".auth-submit")),
		chromedp.WaitVisible(chromedp.CSS("#studio")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	browsertest.WaitFor(t, ctx, "the studio script", `document.getElementById("studio").dataset.ready`,
		10*time.Second)

	// The browser picks the format it can play; Debian's Chromium may lack H.264.
	mp4 := browsertest.Eval[bool](t, ctx,
		`document.createElement("video").canPlayType('video/mp4; codecs="avc1.64001f, mp4a.40.2"') !== ""`)
	format := "webm"
	if mp4 {
		format = "mp4"
	}
	t.Logf("playing %s", format)
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#script"), "您好，我是您的劳动用工律师。今天讲一讲试用期的规定。"),
		chromedp.SendKeys(chromedp.CSS("#title"), "试用期"),
		chromedp.Click(chromedp.CSS(`input[name="formats"][value="webm"]`)),
		chromedp.Click(chromedp.CSS("#preview")),
	)
	if err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	browsertest.WaitFor(t, ctx, "the first sentence preview", `(() => {
		const a = document.getElementById("preview-audio");
		return !a.hidden && a.readyState >= 2 && a.duration > 0.5; })()`, 20*time.Second)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#queue"))); err != nil {
		t.Fatalf("queue: %v", err)
	}
	browsertest.WaitFor(t, ctx, "the clip in the list", `document.querySelector("#clips li")`,
		10*time.Second)
	browsertest.WaitFor(t, ctx, "progress to 100 %", `(() => {
		const li = document.querySelector("#clips li");
		return li.dataset.status === "done" && li.querySelector("progress").value === 100; })()`,
		2*time.Minute)

	play := `[...document.querySelectorAll("#clips li button")].find(b =>
		b.textContent.endsWith("` + map[bool]string{true: "MP4", false: "WEBM"}[mp4] + `")).click()`
	browsertest.Eval[any](t, ctx, play)
	browsertest.WaitFor(t, ctx, "the preview can play", `(() => {
		const v = document.getElementById("player-video");
		return v.readyState >= 3 && v.duration > 3 && !v.error; })()`, 20*time.Second)

	status := browsertest.Eval[int](t, ctx, `fetch(document.querySelector("#clips li a").href,
		{headers: {Range: "bytes=0-99"}}).then(r => r.status)`)
	if status != 206 {
		t.Errorf("range request for the download: status %d, want 206", status)
	}
	anonymous := browsertest.Eval[int](t, ctx, `fetch(document.querySelector("#clips li a").href,
		{credentials: "omit"}).then(r => r.status)`)
	if anonymous != 401 {
		t.Errorf("download without a session: status %d, want 401", anonymous)
	}
	browsertest.Screenshot(t, ctx, "studio-done")
}
