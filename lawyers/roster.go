// Package lawyers owns the lawyer directory: the roster of the 163 lawyers who lend an
// avatar to Fayun, their specialties and duty status, and the queries behind the
// directory page and API.
package lawyers

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// RosterSize is the number of lawyers in the programme.
const RosterSize = 163

// Lawyer is one lawyer of the directory.
type Lawyer struct {
	ID            int      `json:"id"`
	Name          string   `json:"name"`
	Gender        string   `json:"gender"` // "female" or "male"
	Firm          string   `json:"firm"`
	District      string   `json:"district"`
	Specialties   []string `json:"specialties"` // codes, see Specialties
	Languages     []string `json:"languages"`   // "zh", "en"
	YearsPractice int      `json:"years_practice"`
	Bio           string   `json:"bio"`
	OnDuty        bool     `json:"on_duty"`
}

// Specialty is one area of practice, named in both languages.
type Specialty struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// Specialties lists the areas of practice in display order. The codes are shared with
// the explainer cards' topics.
var Specialties = []Specialty{
	{"labor", "劳动用工", "Employment"},
	{"contract", "合同纠纷", "Contracts"},
	{"company", "公司治理", "Company law"},
	{"ip", "知识产权", "Intellectual property"},
	{"consumer", "消费维权", "Consumer protection"},
	{"tax", "财税合规", "Tax"},
	{"administrative", "行政事务", "Administrative"},
	{"debt", "债务催收", "Debt collection"},
	{"criminal", "刑事风险", "Criminal referral"},
	{"data", "数据与电商", "Data & e-commerce"},
}

// SpecialtyName returns the name of a specialty code in lang ("zh" or "en"), or the
// code itself when it is unknown.
func SpecialtyName(code, lang string) string {
	for _, s := range Specialties {
		if s.Code == code {
			if lang == "en" {
				return s.En
			}
			return s.Zh
		}
	}
	return code
}

// IsSpecialty reports whether code names a specialty.
func IsSpecialty(code string) bool {
	for _, s := range Specialties {
		if s.Code == code {
			return true
		}
	}
	return false
}

// Districts are the districts and county-level cities of Jiaxing the firms sit in.
var Districts = []string{"南湖区", "秀洲区", "嘉善县", "平湖市", "海盐县", "海宁市", "桐乡市"}

// firmWords are invented firm name stems; none names a real firm.
var firmWords = []string{
	"禾川", "澄湖", "明衡", "南棹", "秀水", "青鉴", "知行", "守正", "嘉诚", "安澜", "鸳湖", "云帆",
	"弘毅", "月河", "临渊", "潮声", "观海", "盐官", "乌镇", "梧桐", "芦荡", "西塘", "当湖", "致远",
	"恒信", "鉴真", "平川", "沐光",
}

// firmHomes keeps stems named after a place in that place's district.
var firmHomes = map[string]string{
	"鸳湖": "南湖区", "月河": "南湖区", "秀水": "秀洲区", "西塘": "嘉善县", "当湖": "平湖市",
	"观海": "海盐县", "盐官": "海宁市", "潮声": "海宁市", "乌镇": "桐乡市", "梧桐": "桐乡市",
}

var (
	surnames = []string{
		"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
		"郭", "何", "沈", "钱", "陆", "姚", "蒋", "褚", "顾", "金", "费", "俞", "屠", "施", "濮",
	}
	givenFemale = []string{
		"静怡", "雅琴", "晓岚", "思敏", "婉清", "雨桐", "佳慧", "丽娟", "文倩", "欣然", "梦洁",
		"秀英", "晓燕", "慧敏", "若溪", "诗涵", "海燕", "春梅", "嘉怡", "一宁", "芷若", "清欢",
		"素云", "亦菲",
	}
	givenMale = []string{
		"建国", "志强", "浩然", "子轩", "明杰", "国华", "振宇", "嘉伟", "文博", "俊杰", "立新",
		"宏亮", "晨阳", "海峰", "一鸣", "承泽", "德润", "家豪", "景行", "思远", "伟东", "卫民",
		"启航", "云帆",
	}
)

// Roster returns the 163 lawyers of the programme. They are fictional and generated
// from a fixed seed, so every call returns the same roster in the same order (IDs
// 1..RosterSize). No lawyer is on duty in the roster itself; duty is live state.
func Roster() []Lawyer {
	r := rand.New(rand.NewPCG(2026, 163))
	firms := rosterFirms(r)
	used := map[string]bool{}
	out := make([]Lawyer, 0, RosterSize)
	for id := 1; id <= RosterSize; id++ {
		gender := "male"
		if r.IntN(100) < 46 {
			gender = "female"
		}
		name := uniqueName(r, gender, used)
		firm := firms[r.IntN(len(firms))]
		years := 2 + r.IntN(27)
		specs := pickSpecialties(r)
		langs := []string{"zh"}
		if r.IntN(100) < 35 {
			langs = append(langs, "en")
		}
		out = append(out, Lawyer{
			ID: id, Name: name, Gender: gender, Firm: firm.name, District: firm.district,
			Specialties: specs, Languages: langs, YearsPractice: years,
			Bio: bio(name, firm.name, years, specs, langs),
		})
	}
	return out
}

type firm struct{ name, district string }

func rosterFirms(r *rand.Rand) []firm {
	words := append([]string(nil), firmWords...)
	r.Shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	out := make([]firm, 0, len(words))
	for i, w := range words {
		d := Districts[i%len(Districts)]
		if home, ok := firmHomes[w]; ok {
			d = home
		}
		place := strings.TrimRight(d, "区县市")
		out = append(out, firm{name: fmt.Sprintf("浙江%s律师事务所（%s）", w, place), district: d})
	}
	return out
}

func uniqueName(r *rand.Rand, gender string, used map[string]bool) string {
	given := givenMale
	if gender == "female" {
		given = givenFemale
	}
	for {
		n := surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

// pickSpecialties gives each lawyer one to three specialties, with labour and contracts
// the most common, as in a real small-business practice.
func pickSpecialties(r *rand.Rand) []string {
	weights := []int{26, 22, 12, 8, 9, 6, 6, 7, 3, 5}
	n := 1 + r.IntN(3)
	var out []string
	for len(out) < n {
		x := r.IntN(104)
		i := 0
		for ; x >= weights[i]; i++ {
			x -= weights[i]
		}
		code := Specialties[i].Code
		dup := false
		for _, c := range out {
			dup = dup || c == code
		}
		if !dup {
			out = append(out, code)
		}
	}
	return out
}

func bio(name, firm string, years int, specs, langs []string) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = SpecialtyName(s, "zh")
	}
	b := fmt.Sprintf("%s律师，执业%d年，现任职于%s，主要办理%s方面的业务，长期为中小微企业提供法律咨询。",
		name, years, firm, strings.Join(names, "、"))
	if len(langs) > 1 {
		b += "可用英语提供咨询。"
	}
	return b
}
