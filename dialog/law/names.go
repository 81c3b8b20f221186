package law

import "strings"

// shortNames are the everyday names of laws beyond those derived from the title and
// file name: abbreviations lawyers and business owners use, and common English names.
var shortNames = map[string][]string{
	"中华人民共和国民法典":        {"民法", "civil code of china", "prc civil code"},
	"中华人民共和国劳动合同法":      {"劳动合同法", "劳动法合同法", "labour contract law", "employment contract law"},
	"中华人民共和国劳动合同法实施条例":  {"劳动合同法实施条例", "labour contract law implementing regulations"},
	"中华人民共和国劳动法":        {"labour law"},
	"中华人民共和国劳动争议调解仲裁法":  {"劳动仲裁法", "调解仲裁法", "labor arbitration law"},
	"中华人民共和国公司法":        {"company law of china"},
	"中华人民共和国消费者权益保护法":   {"消法", "消保法", "消费者法", "consumer protection law", "consumer rights law"},
	"中华人民共和国食品安全法":      {"食安法"},
	"中华人民共和国反不正当竞争法":    {"反不正当竞争", "unfair competition law"},
	"中华人民共和国个人信息保护法":    {"个保法", "pipl", "personal information law"},
	"中华人民共和国安全生产法":      {"work safety law"},
	"中华人民共和国民事诉讼法":      {"民诉法", "civil procedure law"},
	"中华人民共和国税收征收管理法":    {"税收征管法", "征管法", "tax administration law", "tax collection law"},
	"中华人民共和国电子商务法":      {"电商法", "ecommerce law", "e commerce law"},
	"保障中小企业款项支付条例":      {"款项支付条例", "中小企业款项支付条例", "sme payment regulations"},
	"中华人民共和国中小企业促进法":    {"sme promotion law"},
	"优化营商环境条例":          {"营商环境条例", "business environment regulations"},
	"中华人民共和国市场主体登记管理条例": {"市场主体登记条例", "market entity registration regulations"},
	"中华人民共和国社会保险法":      {"社保法", "social insurance law"},
	"中华人民共和国行政处罚法":      {"行政处罚法", "administrative penalty law"},
	"中华人民共和国著作权法":       {"版权法", "copyright law"},
	"中华人民共和国商标法":        {"trademark law", "trade mark law"},
	"中华人民共和国专利法":        {"patent law"},
	"中华人民共和国产品质量法":      {"产品质量法", "product quality law"},
	"中华人民共和国广告法":        {"advertising law", "advertisement law"},
}

const prcPrefix = "中华人民共和国"

// namesOf returns every name a law is known by: its full title, the title without
// 中华人民共和国, its English name derived from the file name ("labor-contract-law.md"
// → "labor contract law") and the everyday names above.
func namesOf(l *Law) []string {
	names := []string{l.Title}
	if s := strings.TrimPrefix(l.Title, prcPrefix); s != l.Title && s != "" {
		names = append(names, s)
	}
	if en := strings.TrimSuffix(l.File, ".md"); en != "" && en != l.File {
		en = strings.ReplaceAll(en, "-", " ")
		names = append(names, en, "prc "+en)
		if strings.Contains(en, "labor") {
			names = append(names, strings.ReplaceAll(en, "labor", "labour"))
		}
	}
	return append(names, shortNames[l.Title]...)
}

// normalizeName lower-cases the ASCII letters of a text and turns '-' and '_' into
// spaces, keeping every byte offset unchanged.
func normalizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '-' || c == '_':
			b[i] = ' '
		}
	}
	return string(b)
}

// EnglishName returns the law's English name, derived from its file name:
// labor-contract-law.md → "Labor Contract Law". Without a file name it is the title.
func (l *Law) EnglishName() string {
	base := strings.TrimSuffix(l.File, ".md")
	if base == "" || base == l.File {
		return l.Title
	}
	words := strings.Split(base, "-")
	for i, w := range words {
		switch {
		case w == "sme":
			words[i] = "SME"
		case w == "e" && i+1 < len(words):
			words[i] = "E"
		case len(w) > 0:
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.ReplaceAll(strings.Join(words, " "), "E Commerce", "E-Commerce")
}

// ShortTitle returns the title without 中华人民共和国, as people say it: 劳动合同法.
func (l *Law) ShortTitle() string {
	if s := strings.TrimPrefix(l.Title, prcPrefix); s != "" {
		return s
	}
	return l.Title
}

// lawTopics maps words of law titles to the topic (lawyer specialty) they belong to.
var lawTopics = []struct{ word, topic string }{
	{"劳动", "labor"}, {"社会保险", "labor"}, {"安全生产", "administrative"},
	{"公司", "company"}, {"市场主体", "company"}, {"消费者", "consumer"},
	{"食品", "consumer"}, {"产品质量", "consumer"}, {"广告", "consumer"},
	{"电子商务", "consumer"}, {"个人信息", "data"}, {"著作权", "ip"}, {"商标", "ip"},
	{"专利", "ip"}, {"反不正当竞争", "ip"}, {"税", "tax"}, {"行政处罚", "administrative"},
	{"营商环境", "administrative"}, {"中小企业", "debt"}, {"民事诉讼", "contract"},
	{"民法典", "contract"},
}

// Topic returns the lawyer specialty a law mostly concerns (labor, contract, …).
func (l *Law) Topic() string {
	for _, t := range lawTopics {
		if strings.Contains(l.Title, t.word) {
			return t.topic
		}
	}
	return "contract"
}
