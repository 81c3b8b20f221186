package retrieval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fayun/dialog/cards"
	"fayun/dialog/law"
)

// fixture is a two-law library with one card, enough to test search and references.
func fixture(t testing.TB) *Index {
	t.Helper()
	mk := func(file, title string, n int, special map[int]string) *law.Law {
		var b strings.Builder
		fmt.Fprintf(&b, "# %s\n<!-- INFO END -->\n## 第一章 总则\n", title)
		for i := 1; i <= n; i++ {
			text, ok := special[i]
			if !ok {
				text = fmt.Sprintf("本条是第%d条的一般性内容。", i)
			}
			fmt.Fprintf(&b, "第%s条 %s\n", law.FormatNumeral(i), text)
		}
		l, err := law.Parse(file, []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	lib := law.NewLibrary([]*law.Law{
		mk("labor-contract-law.md", "中华人民共和国劳动合同法", 98, map[int]string{
			19: "劳动合同期限三个月以上不满一年的，试用期不得超过一个月。",
			82: "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。",
		}),
		mk("civil-code.md", "中华人民共和国民法典", 1260, map[int]string{
			705: "租赁期限不得超过二十年。超过二十年的，超过部分无效。",
		}),
	})
	ix, err := Build(lib, []cards.Card{{ID: "probation", Topic: "labor", QZh: "试用期最长多久",
		QEn: "How long can probation last?", VariantsZh: []string{"试用期能约定几个月"},
		VariantsEn: []string{"maximum probation period"}, AnswerZh: "看合同期限。",
		AnswerEn: "It depends on the contract term.",
		Cites:    []cards.Citation{{Law: "中华人民共和国劳动合同法", Article: 19}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix
}

func TestFindRefs(t *testing.T) {
	ix := fixture(t)
	const lc, cc = "中华人民共和国劳动合同法", "中华人民共和国民法典"
	tests := map[string][]law.Ref{
		"劳动合同法第八十二条":   {{Law: lc, Article: 82}},
		"劳动合同法 第 82 条": {{Law: lc, Article: 82}},
		"中华人民共和国劳动合同法的第十九条和民法典第七百零五条": {{Law: lc, Article: 19}, {Law: cc, Article: 705}},
		"Civil Code Article 577":        {{Law: cc, Article: 577}},
		"article 705 of the civil code": {{Law: cc, Article: 705}},
		"Labour Contract Law, Art. 82":  {{Law: lc, Article: 82}},
		"第三十九条呢":                        {{Article: 39}},
		"本法第四十七条规定的经济补偿":                {{Article: 47}},
		"没有引用":                          nil,
	}
	for q, want := range tests {
		if got := ix.FindRefs(Normalize(q)); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}

func TestSearch(t *testing.T) {
	ix := fixture(t)
	ctx := context.Background()
	res, err := ix.Search(ctx, "员工试用期最长能约定多久？", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cards) == 0 || res.Cards[0].Card.ID != "probation" || res.Cards[0].Coverage < 0.3 {
		t.Errorf("cards %+v", res.Cards)
	}
	res, err = ix.Search(ctx, "厂房租房最长能签几年", "zh", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) == 0 || res.Articles[0].Ref.Article != 705 {
		t.Errorf("articles %+v (terms %v)", res.Articles, res.Terms)
	}
	res, err = ix.Search(ctx, "How long can a probation period be?", "", 5)
	if err != nil || len(res.Cards) == 0 || res.Cards[0].Card.ID != "probation" {
		t.Errorf("english: %+v %v", res, err)
	}
	if !slices.Contains(res.Terms, "试用期") {
		t.Errorf("cross-lingual terms %v lack 试用期", res.Terms)
	}
	for _, q := range []string{"", "   ", "😀", "的吗呢"} {
		if _, err := ix.Search(ctx, q, "", 5); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
}

func TestNormalizeAndLang(t *testing.T) {
	if got := Normalize(" 😀员工\t试用期🙏 ＡＢＣ "); got != "员工 试用期 ABC" {
		t.Errorf("Normalize: %q", got)
	}
	for q, want := range map[string]string{"员工试用期": "zh", "probation period": "en",
		"probation 试用期怎么算": "zh", "": "en", "Is 合同 valid under the civil code?": "en"} {
		if got := DetectLang(q); got != want {
			t.Errorf("DetectLang(%q) = %s, want %s", q, got, want)
		}
	}
}

func FuzzSearch(f *testing.F) {
	ix := fixture(f)
	f.Add("劳动合同法第八十二条")
	f.Add("Article 5 of the civil code")
	f.Add("第零条")
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := ix.Search(context.Background(), q, "", 3); err != nil {
			t.Fatal(err)
		}
	})
}
