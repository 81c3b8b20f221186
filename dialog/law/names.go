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
