package answer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"

	"fayun/dialog/law"
)

// EvalItem is one line of an evaluation set (../shared/eval/dev.jsonl): a question,
// the law (short title) and articles a good answer cites, its language, and whether it
// should be handed to a human lawyer.
type EvalItem struct {
	ID            string `json:"id"`
	Q             string `json:"q"`
	Law           string `json:"law"`
	Articles      []int  `json:"articles"`
	Lang          string `json:"lang"`
	ExpectHandoff bool   `json:"expect_handoff"`
}

// ReadEval reads an evaluation set, one JSON object per line.
func ReadEval(path string) ([]EvalItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read eval: %w", err)
	}
	defer f.Close()
	var out []EvalItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var it EvalItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("read eval: %s:%d: %w", path, n, err)
		}
		out = append(out, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read eval: %w", err)
	}
	return out, nil
}

// EvalResult is the outcome of one item.
type EvalResult struct {
	Item     EvalItem
	Reply    *Reply
	Err      error
	Rank     int // 1-based position of the first expected article among citations; 0 if none
	Latency  time.Duration
	Expected []law.Ref
}

// EvalReport sums up an evaluation.
type EvalReport struct {
	Results         []EvalResult
	Retrieval       int     // items with expected articles
	Recall1         float64 // share of those whose first citation is expected
	Recall3         float64 // share with an expected article among the first three
	Handoffs        int     // items expecting a handoff
	HandoffAccuracy float64 // share of all items whose handoff decision matched
	HandoffRecall   float64 // share of expect_handoff items handed off
	P50, P99        time.Duration
}

// Evaluate asks every item in a fresh session and scores the citations and handoffs.
func Evaluate(ctx context.Context, a Answerer, lib *law.Library, items []EvalItem) (
	*EvalReport, error) {
	rep := &EvalReport{}
	var lat []time.Duration
	hit1, hit3, handRight, handHit := 0, 0, 0, 0
	for _, it := range items {
		res := EvalResult{Item: it}
		if it.Law != "" {
			title, ok := lib.Resolve(it.Law)
			if !ok {
				return nil, fmt.Errorf("evaluate %s: unknown law %q", it.ID, it.Law)
			}
			for _, n := range it.Articles {
				res.Expected = append(res.Expected, law.Ref{Law: title, Article: n})
			}
		}
		start := time.Now()
		res.Reply, res.Err = a.Answer(ctx, NewSession(), it.Q, it.Lang)
		res.Latency = time.Since(start)
		lat = append(lat, res.Latency)
		if res.Err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("evaluate: %w", ctx.Err())
		}
		if res.Reply != nil {
			for i, c := range res.Reply.Citations {
				if slices.Contains(res.Expected, law.Ref{Law: c.Law, Article: c.Article}) {
					res.Rank = i + 1
					break
				}
			}
		}
		if len(res.Expected) > 0 {
			rep.Retrieval++
			if res.Rank == 1 {
				hit1++
			}
			if res.Rank >= 1 && res.Rank <= 3 {
				hit3++
			}
		}
		handed := res.Reply != nil && res.Reply.Handoff
		if handed == it.ExpectHandoff {
			handRight++
		}
		if it.ExpectHandoff {
			rep.Handoffs++
			if handed {
				handHit++
			}
		}
		rep.Results = append(rep.Results, res)
	}
	if rep.Retrieval > 0 {
		rep.Recall1 = float64(hit1) / float64(rep.Retrieval)
		rep.Recall3 = float64(hit3) / float64(rep.Retrieval)
	}
	if len(items) > 0 {
		rep.HandoffAccuracy = float64(handRight) / float64(len(items))
	}
	if rep.Handoffs > 0 {
		rep.HandoffRecall = float64(handHit) / float64(rep.Handoffs)
	}
	rep.P50, rep.P99 = Percentile(lat, 0.50), Percentile(lat, 0.99)
	return rep, nil
}

// Percentile returns the p-quantile (0..1) of ds by the nearest-rank method.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Print writes the report: one line per item, then the totals.
func (rep *EvalReport) Print(w io.Writer, verbose bool) {
	for _, r := range rep.Results {
		if !verbose && (r.Rank >= 1 && r.Rank <= 3 || len(r.Expected) == 0) &&
			(r.Reply != nil && r.Reply.Handoff == r.Item.ExpectHandoff) {
			continue
		}
		var got []string
		handed := false
		if r.Reply != nil {
			handed = r.Reply.Handoff
			for _, c := range r.Reply.Citations {
				got = append(got, fmt.Sprintf("%s#%d", c.Law, c.Article))
			}
		}
		fmt.Fprintf(w, "%-4s rank=%d handoff=%v want=%v got=%v err=%v  %s\n", r.Item.ID, r.Rank,
			handed, r.Item.Articles, got, r.Err, r.Item.Q)
	}
	fmt.Fprintf(w, "items %d, with articles %d: recall@1 %.3f, recall@3 %.3f\n",
		len(rep.Results), rep.Retrieval, rep.Recall1, rep.Recall3)
	fmt.Fprintf(w, "handoff: accuracy %.3f over all items, %d expected, recall %.3f\n",
		rep.HandoffAccuracy, rep.Handoffs, rep.HandoffRecall)
	fmt.Fprintf(w, "latency: p50 %s, p99 %s\n", rep.P50, rep.P99)
}
