package stt

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// Sentence boundary tokens of ARPA language models.
const (
	bos = "<s>"
	eos = "</s>"
)

// ngramCounts holds the counts of a trigram model's n-grams, keyed by the words
// joined with a space.
type ngramCounts struct {
	counts [3]map[string]int // by order-1
	vocab  []string          // sorted, including </s> but not <s>
}

func countNgrams(sentences [][]string) *ngramCounts {
	c := &ngramCounts{}
	for i := range c.counts {
		c.counts[i] = map[string]int{}
	}
	words := map[string]bool{}
	for _, s := range sentences {
		if len(s) == 0 {
			continue
		}
		toks := append(append([]string{bos}, s...), eos)
		for i := range toks {
			if toks[i] != bos {
				words[toks[i]] = true
			}
			for n := 1; n <= 3 && i+n <= len(toks); n++ {
				gram := toks[i : i+n]
				if n == 1 && gram[0] == bos {
					continue
				}
				c.counts[n-1][strings.Join(gram, " ")]++
			}
		}
	}
	for w := range words {
		c.vocab = append(c.vocab, w)
	}
	sort.Strings(c.vocab)
	return c
}

// WriteARPA writes a trigram language model over sentences (each a list of words) in
// ARPA format, smoothed with interpolated Witten-Bell discounting: the weight given
// to a history's lower-order estimate grows with the number of distinct words seen
// after it. Probabilities of seen n-grams are the interpolated ones and back-off
// weights make each history's distribution sum to one, so decoders that read ARPA
// back-off models compute exactly the interpolated model.
func WriteARPA(w io.Writer, sentences [][]string) error {
	c := countNgrams(sentences)
	if len(c.vocab) == 0 {
		return fmt.Errorf("write arpa: no words")
	}
	m := newWBModel(c)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\\data\\\nngram 1=%d\nngram 2=%d\nngram 3=%d\n\n",
		len(c.vocab)+1, len(c.counts[1]), len(c.counts[2]))

	fmt.Fprintln(bw, "\\1-grams:")
	fmt.Fprintf(bw, "-99\t%s\t%.6f\n", bos, log10(m.backoff(bos)))
	for _, wd := range c.vocab {
		fmt.Fprintf(bw, "%.6f\t%s", log10(m.prob(nil, wd)), wd)
		if _, isHist := m.hist[1][wd]; isHist {
			fmt.Fprintf(bw, "\t%.6f", log10(m.backoff(wd)))
		}
		fmt.Fprintln(bw)
	}
	for order := 2; order <= 3; order++ {
		fmt.Fprintf(bw, "\n\\%d-grams:\n", order)
		grams := make([]string, 0, len(c.counts[order-1]))
		for g := range c.counts[order-1] {
			grams = append(grams, g)
		}
		sort.Strings(grams)
		for _, g := range grams {
			ws := strings.Split(g, " ")
			p := m.prob(ws[:len(ws)-1], ws[len(ws)-1])
			fmt.Fprintf(bw, "%.6f\t%s", log10(p), g)
			if order == 2 {
				if _, isHist := m.hist[2][g]; isHist {
					fmt.Fprintf(bw, "\t%.6f", log10(m.backoff(g)))
				}
			}
			fmt.Fprintln(bw)
		}
	}
	fmt.Fprintln(bw, "\n\\end\\")
	return bw.Flush()
}

func log10(p float64) float64 {
	if p <= 0 {
		return -99
	}
	return math.Log10(p)
}

// histStats are the counts Witten-Bell needs for one history.
type histStats struct {
	total    int      // tokens seen after the history
	distinct int      // distinct words seen after it
	next     []string // those words
}

// wbModel is an interpolated Witten-Bell trigram model.
type wbModel struct {
	c    *ngramCounts
	hist [3]map[string]*histStats // by history length: 1 (unigram history), 2
	n    int                      // unigram tokens
}

func newWBModel(c *ngramCounts) *wbModel {
	m := &wbModel{c: c}
	for i := 1; i <= 2; i++ {
		m.hist[i] = map[string]*histStats{}
		for g, n := range c.counts[i] {
			k := strings.LastIndexByte(g, ' ')
			h := m.hist[i][g[:k]]
			if h == nil {
				h = &histStats{}
				m.hist[i][g[:k]] = h
			}
			h.total += n
			h.distinct++
			h.next = append(h.next, g[k+1:])
		}
	}
	for _, n := range c.counts[0] {
		m.n += n
	}
	return m
}

// prob returns P(w | hist) for a history of zero to two words.
func (m *wbModel) prob(hist []string, w string) float64 {
	if len(hist) == 0 {
		// Unigrams interpolate with a uniform distribution over the vocabulary.
		v := float64(len(m.c.vocab))
		lambda := float64(m.n) / float64(m.n+len(m.c.vocab))
		return lambda*float64(m.c.counts[0][w])/float64(m.n) + (1-lambda)/v
	}
	lower := m.prob(hist[1:], w)
	key := strings.Join(hist, " ")
	h := m.hist[len(hist)][key]
	if h == nil {
		return lower
	}
	lambda := float64(h.total) / float64(h.total+h.distinct)
	c := m.c.counts[len(hist)][key+" "+w]
	return lambda*float64(c)/float64(h.total) + (1-lambda)*lower
}

// backoff returns the ARPA back-off weight of a history (one or two words joined by
// a space): the probability mass left for unseen words, renormalised over the
// lower-order distribution of those words.
func (m *wbModel) backoff(key string) float64 {
	hist := strings.Split(key, " ")
	h := m.hist[len(hist)][key]
	if h == nil {
		return 1
	}
	var seen, seenLower float64
	for _, w := range h.next {
		seen += m.prob(hist, w)
		seenLower += m.prob(hist[1:], w)
	}
	if seenLower >= 1 {
		return 1e-9
	}
	return math.Max(1e-9, (1-seen)/(1-seenLower))
}
