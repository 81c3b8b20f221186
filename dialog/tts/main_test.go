package tts

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind (a Stream that did
// not stop, a cancellation watcher that did not exit).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Keep-alive connections of the HTTP client used against httptest servers.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
