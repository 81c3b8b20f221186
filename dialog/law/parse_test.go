package law

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCounts are the article counts listed in the corpus README.
var corpusCounts = map[string]int{
	"civil-code.md": 1260, "labor-contract-law.md": 98, "labor-law.md": 107,
	"labor-contract-law-implementing-regulations.md": 38, "company-law.md": 266,
	"consumer-rights-protection-law.md": 63, "food-safety-law.md": 154,
	"product-quality-law.md": 74, "anti-unfair-competition-law.md": 33,
	"advertising-law.md": 74, "e-commerce-law.md": 89,
	"personal-information-protection-law.md": 74, "work-safety-law.md": 119,
	"administrative-penalty-law.md": 86, "civil-procedure-law.md": 306,
	"labor-dispute-mediation-arbitration-law.md": 54, "social-insurance-law.md": 98,
	"copyright-law.md": 67, "trademark-law.md": 73, "patent-law.md": 82,
	"sme-payment-protection-regulations.md": 37, "sme-promotion-law.md": 61,
	"business-environment-optimization-regulations.md": 72,
	"tax-collection-administration-law.md":             94,
	"market-entity-registration-regulations.md":        55,
}

// corpusDir returns the statute corpus named by FAYUN_TEST_LAWS (default
// ../../../shared/laws, where the corpus sits next to the checkout), skipping the test
// when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FAYUN_TEST_LAWS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "laws")
	}
	if _, err := os.Stat(filepath.Join(dir, "civil-code.md")); err != nil {
		t.Skipf("statute corpus not found at %s (set FAYUN_TEST_LAWS): %v", dir, err)
	}
	return dir
}

func TestParseCorpus(t *testing.T) {
	dir := corpusDir(t)
	total := 0
	for file, want := range corpusCounts {
		src, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		l, err := Parse(file, src)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if len(l.Articles) != want {
			t.Errorf("%s: %d articles, want %d", file, len(l.Articles), want)
		}
		if !strings.HasPrefix(l.Title, "中华人民共和国") && !strings.HasSuffix(l.Title, "条例") {
			t.Errorf("%s: odd title %q", file, l.Title)
		}
		total += len(l.Articles)
	}
	if total != 3534 {
		t.Errorf("total %d articles, want 3534", total)
	}
}

func TestParseSpotChecks(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		file   string
		num    int
		prefix string
		path   []string
		paras  int
	}{
		{"civil-code.md", 577, "当事人一方不履行合同义务或者履行合同义务不符合约定的",
			[]string{"合同编", "第一分编 通则", "第八章 违约责任"}, 1},
		{"civil-code.md", 1, "为了保护民事主体的合法权益", []string{"总则", "第一章 基本规定"}, 1},
		{"civil-code.md", 1260, "本法自2021年1月1日起施行", []string{"附则"}, 1},
		{"labor-contract-law.md", 82, "用人单位自用工之日起超过一个月不满一年",
			[]string{"第七章 法律责任"}, 2},
		{"civil-procedure-law.md", 1, "中华人民共和国民事诉讼法以宪法为根据",
			[]string{"第一编 总 则", "第一章 任务、适用范围和基本原则"}, 1},
		{"labor-contract-law.md", 39, "劳动者有下列情形之一的", []string{"第四章 劳动合同的解除和终止"}, 7},
	}
	for _, tt := range tests {
		src, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		l, err := Parse(tt.file, src)
		if err != nil {
			t.Fatal(err)
		}
		a := l.Articles[tt.num-1]
		if a.Number != tt.num || !strings.HasPrefix(a.Text(), tt.prefix) {
			t.Errorf("%s %d: got %d %q", tt.file, tt.num, a.Number, a.Text())
		}
		if strings.Join(a.Path, "|") != strings.Join(tt.path, "|") {
			t.Errorf("%s %d: path %q, want %q", tt.file, tt.num, a.Path, tt.path)
		}
		if len(a.Paragraphs) != tt.paras {
			t.Errorf("%s %d: %d paragraphs, want %d: %q", tt.file, tt.num, len(a.Paragraphs),
				tt.paras, a.Paragraphs)
		}
	}
}

func TestParseBroken(t *testing.T) {
	good := "# 测试法\n\n2020年1月1日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n" +
		"第一条 第一条的文字。\n\n（一）项一；\n\n第二条 第二条的文字。\n"
	if l, err := Parse("good.md", []byte(good)); err != nil || len(l.Articles) != 2 ||
		len(l.Articles[0].Paragraphs) != 2 {
		t.Fatalf("good file: %+v, %v", l, err)
	}
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"empty", "", 0, "empty file"},
		{"no title", "测试法\n", 1, "first line"},
		{"no info end", "# 测试法\n\n2020年1月1日 通过\n\n第一条 文字。\n", 5, "header line"},
		{"header ends", "# 测试法\n\n2020年1月1日 通过\n", 3, "inside the header"},
		{"gap", strings.Replace(good, "第二条", "第三条", 1), 13, "out of sequence"},
		{"duplicate", strings.Replace(good, "第二条", "第一条", 1), 13, "out of sequence"},
		{"bad heading", strings.Replace(good, "## 第一章 总则", "## 总则", 1), 7,
			"does not start with"},
		{"text before article", strings.Replace(good, "第一条 ", "", 1), 9,
			"outside any article"},
		{"bad numeral", strings.Replace(good, "第二条", "第十十条", 1), 13, "numeral"},
		{"no articles", "# 测试法\n<!-- INFO END -->\n## 第一章 总则\n", 3, "no articles"},
		{"second title", good + "# 别的法\n", 14, "differs from the title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse("broken.md", []byte(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %+v, %v; want a ParseError", l, err)
			}
			if pe.File != "broken.md" || pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %v; want broken.md:%d …%s…", err, tt.line, tt.msg)
			}
		})
	}
}

func TestNumerals(t *testing.T) {
	for n := 1; n <= 9999; n++ {
		s := FormatNumeral(n)
		got, err := ParseNumeral(s)
		if err != nil || got != n {
			t.Fatalf("%d → %q → %d, %v", n, s, got, err)
		}
	}
	for s, want := range map[string]int{"十": 10, "十二": 12, "一百零五": 105, "一千二百六十": 1260,
		"八十二": 82, "一百一十": 110, "82": 82, "二〇": 0} {
		got, err := ParseNumeral(s)
		if want == 0 {
			if err == nil {
				t.Errorf("%q: want an error, got %d", s, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"", "百", "十十", "二二", "条", "0", "一百百"} {
		if n, err := ParseNumeral(bad); err == nil {
			t.Errorf("%q: want an error, got %d", bad, n)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("# 法\n<!-- INFO END -->\n## 第一章 总则\n第一条 文字\n（一）项\n"))
	f.Add([]byte("# 法\n# 编\n2020年1月1日 通过\n<!-- INFO END -->\n第一条 甲\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := Parse("fuzz.md", src)
		if err == nil {
			for i, a := range l.Articles {
				if a.Number != i+1 || len(a.Paragraphs) == 0 {
					t.Fatalf("bad article %d: %+v", i, a)
				}
			}
		}
	})
}
