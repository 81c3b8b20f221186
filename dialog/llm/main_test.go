package llm

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind (a stream not
// closed, a timer callback still running).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// bleve's package-level analysis workers live for the whole process.
		goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"))
}
