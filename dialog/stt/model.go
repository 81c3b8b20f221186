package stt

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"fayun/dialog/cards"
)

//go:embed questions.txt
var questionsText string

// CommonQuestions returns Fayun's own list of colloquial English legal questions
// (questions.txt), one of the two sources of the recognition language model.
func CommonQuestions() []string {
	var out []string
	for _, line := range strings.Split(questionsText, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// CardSentences returns the English text of the law library's explainer cards:
// questions (the question and its colloquial variants) and prose (answers and next
// steps, split into sentences).
func CardSentences() (questions, prose []string, err error) {
	all, err := cards.All()
	if err != nil {
		return nil, nil, fmt.Errorf("card sentences: %w", err)
	}
	for _, c := range all {
		questions = append(questions, c.QEn)
		questions = append(questions, c.VariantsEn...)
		for _, text := range []string{c.AnswerEn, c.NextEn} {
			prose = append(prose, splitSentences(text)...)
		}
	}
	return questions, prose, nil
}

// QuestionWeight is how many times each question is counted in the language model
// against once for each sentence of answer prose: callers ask questions, so their
// word sequences should dominate, while the prose adds vocabulary.
const QuestionWeight = 4

// splitSentences cuts English prose at sentence punctuation.
func splitSentences(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(".?!;:\n", r) })
}

// DomainSentences returns every sentence the default recognition model is built
// from: the common questions and the cards' questions, each QuestionWeight times,
// and the cards' answer prose once.
func DomainSentences() ([]string, error) {
	q, prose, err := CardSentences()
	if err != nil {
		return nil, err
	}
	q = append(q, CommonQuestions()...)
	var out []string
	for i := 0; i < QuestionWeight; i++ {
		out = append(out, q...)
	}
	return append(out, prose...), nil
}

// Model is a generated recognition model on disk.
type Model struct {
	LM   string // ARPA trigram file
	Dict string // pronunciation dictionary restricted to the LM's words
	// Words is the vocabulary size and Dropped the words left out because the
	// pronouncing dictionary does not know them.
	Words   int
	Dropped []string
}

// BuildModel writes a trigram language model over sentences and a dictionary of
// their words (pronunciations from the dictionary at fullDict) into a directory
// under cacheDir named by a hash of the inputs, and returns their paths. A model
// already there is reused. Words missing from the dictionary are dropped and the
// sentence is split around them, so no n-gram spans a gap.
func BuildModel(cacheDir, fullDict string, sentences []string) (Model, error) {
	h := sha256.New()
	fmt.Fprintf(h, "fayun-lm-v1\n%s\n", fullDict)
	for _, s := range sentences {
		fmt.Fprintln(h, s)
	}
	dir := filepath.Join(cacheDir, "lm-"+hex.EncodeToString(h.Sum(nil))[:16])
	m := Model{LM: filepath.Join(dir, "domain.arpa"), Dict: filepath.Join(dir, "domain.dict")}

	pron, err := readDict(fullDict)
	if err != nil {
		return Model{}, fmt.Errorf("build model: %w", err)
	}
	var corpus [][]string
	dropped := map[string]bool{}
	for _, s := range sentences {
		var cur []string
		for _, w := range Normalize(s) {
			if _, ok := pron[w]; ok {
				cur = append(cur, w)
				continue
			}
			dropped[w] = true
			if len(cur) > 0 {
				corpus = append(corpus, cur)
			}
			cur = nil
		}
		if len(cur) > 0 {
			corpus = append(corpus, cur)
		}
	}
	for w := range dropped {
		m.Dropped = append(m.Dropped, w)
	}
	sort.Strings(m.Dropped)
	vocab := map[string]bool{}
	for _, s := range corpus {
		for _, w := range s {
			vocab[w] = true
		}
	}
	m.Words = len(vocab)
	if _, err := os.Stat(m.Dict); err == nil {
		return m, nil
	}

	var lm, dict bytes.Buffer
	if err := WriteARPA(&lm, corpus); err != nil {
		return Model{}, fmt.Errorf("build model: %w", err)
	}
	words := make([]string, 0, len(vocab))
	for w := range vocab {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		for i, p := range pron[w] {
			name := w
			if i > 0 {
				name = fmt.Sprintf("%s(%d)", w, i+1)
			}
			fmt.Fprintf(&dict, "%s %s\n", name, p)
		}
	}
	files := map[string][]byte{"domain.arpa": lm.Bytes(), "domain.dict": dict.Bytes()}
	if err := writeDir(dir, files); err != nil {
		return Model{}, fmt.Errorf("build model: %w", err)
	}
	return m, nil
}

// writeDir writes files into a temporary directory and renames it to dir, so that
// concurrent builders never see half a model.
func writeDir(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-lm-")
	if err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(dir); statErr == nil {
			return nil // another process won the race with the same content
		}
		return err
	}
	return nil
}

// readDict reads a CMU-style pronouncing dictionary: "word PH ON ES", alternatives
// as "word(2) ...". It returns the pronunciations of each word in file order.
func readDict(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[string][]string, 140000)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		word, phones, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(word, '('); i > 0 {
			word = word[:i]
		}
		if k := strings.Index(phones, " #"); k >= 0 { // trailing comments
			phones = phones[:k]
		}
		out[word] = append(out[word], strings.TrimSpace(phones))
	}
	return out, sc.Err()
}
