package law

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fayun/dialog/cards"
	"fayun/store/storetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestImportCorpus(t *testing.T) {
	dir := corpusDir(t)
	ctx := context.Background()
	pool := storetest.New(t)

	// A copy of the corpus plus one malformed file.
	work := t.TempDir()
	for file := range corpusCounts {
		src, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, file), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	broken := "# 坏法\n\n<!-- INFO END -->\n\n第一条 甲。\n\n第三条 丙。\n"
	if err := os.WriteFile(filepath.Join(work, "broken.md"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := ImportDir(ctx, pool, work, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	imported := 0
	for _, r := range res {
		switch {
		case r.File == "broken.md":
			if r.Outcome != Failed || r.Err == nil ||
				!strings.Contains(r.Err.Error(), "broken.md:7") {
				t.Errorf("broken.md: %+v", r)
			}
		case r.Outcome != Imported:
			t.Errorf("%s: %s %v", r.File, r.Outcome, r.Err)
		default:
			imported += r.Articles
		}
	}
	articles := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM articles`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if imported != 3534 || articles() != 3534 {
		t.Fatalf("imported %d, stored %d; want 3534", imported, articles())
	}
	var bad int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM laws WHERE title = '坏法'`).Scan(&bad)
	if bad != 0 {
		t.Errorf("the malformed law was stored")
	}

	// Re-import: nothing changes.
	res, err = ImportDir(ctx, pool, work, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.File != "broken.md" && r.Outcome != Unchanged {
			t.Errorf("re-import %s: %s", r.File, r.Outcome)
		}
	}

	// A changed file replaces that law's articles; a broken edit imports nothing.
	file := filepath.Join(work, "labor-contract-law.md")
	src, _ := os.ReadFile(file)
	cut := strings.Index(string(src), "第九十八条 ")
	changed := string(src[:cut]) + "第九十八条 本法自2008年1月1日起施行。（测试修改）\n"
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = ImportDir(ctx, pool, work, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.File == "labor-contract-law.md" && r.Outcome != Replaced {
			t.Errorf("changed file: %+v", r)
		}
	}
	lib, err := Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := lib.Article("中华人民共和国劳动合同法", 98)
	if !ok || !strings.Contains(a.Text(), "测试修改") || lib.ArticleCount() != 3534 {
		t.Errorf("after change: %q, %d articles", a.Text(), lib.ArticleCount())
	}
	if err := os.WriteFile(file, []byte(changed+"第一百条 多余。\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportDir(ctx, pool, work, quietLog()); err != nil {
		t.Fatal(err)
	}
	if articles() != 3534 {
		t.Errorf("a broken edit changed the library: %d articles", articles())
	}

	// Names.
	for name, want := range map[string]string{
		"劳动合同法": "中华人民共和国劳动合同法", "Civil Code": "中华人民共和国民法典",
		"labour contract law": "中华人民共和国劳动合同法", "个保法": "中华人民共和国个人信息保护法",
		"保障中小企业款项支付条例": "保障中小企业款项支付条例",
	} {
		if got, ok := lib.Resolve(name); !ok || got != want {
			t.Errorf("Resolve(%q) = %q, %v", name, got, ok)
		}
	}

	// Cards: stored, and every citation exists in the corpus.
	cs, err := cards.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckCards(lib, cs) {
		t.Errorf("%s", p)
	}
	if err := StoreCards(ctx, pool, cs); err != nil {
		t.Fatal(err)
	}
	if err := StoreCards(ctx, pool, cs); err != nil {
		t.Fatal(err)
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM cards`).Scan(&n)
	if n != len(cs) {
		t.Errorf("%d cards stored, want %d", n, len(cs))
	}
	probs := CheckCards(lib, []cards.Card{{ID: "x", Cites: []cards.Citation{
		{Law: "中华人民共和国劳动合同法", Article: 99}, {Law: "不存在法", Article: 1}}}})
	if len(probs) != 2 {
		t.Errorf("CheckCards: %v", probs)
	}
}
