package answer

import (
	"context"
	"testing"
	"time"

	"fayun/dialog/cards"
	"fayun/dialog/retrieval"
)

// BenchmarkAnswerDev answers the dev-set questions round-robin with the embedded
// engine and reports the p50 and p99 latency of one answer.
func BenchmarkAnswerDev(b *testing.B) {
	e := testEngine(b)
	items, err := ReadEval(evalPath(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := items[i%len(items)]
		start := time.Now()
		if _, err := e.Answer(ctx, NewSession(), it.Q, it.Lang); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(Percentile(lat, 0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(Percentile(lat, 0.99).Microseconds())/1000, "p99_ms")
}

// BenchmarkBuildIndex measures building the in-memory search index over the whole
// library and every card, which happens once at start.
func BenchmarkBuildIndex(b *testing.B) {
	e := testEngine(b)
	cs, err := cards.All()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix, err := retrieval.Build(e.Library(), cs)
		if err != nil {
			b.Fatal(err)
		}
		_ = ix.Close()
	}
}

// TestEvalArticlesOnly reports (without asserting) recall when no card exists, to show
// how much the statute search alone finds.
func TestEvalArticlesOnly(t *testing.T) {
	e := testEngine(t)
	items, err := ReadEval(evalPath(t))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(e.Library(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	rep, err := Evaluate(context.Background(), New(ix, e.Policy(), quiet()), e.Library(), items)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("articles only: recall@1 %.3f, recall@3 %.3f", rep.Recall1, rep.Recall3)
}
