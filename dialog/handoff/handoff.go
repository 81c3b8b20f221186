// Package handoff owns the policy that decides when a question is beyond the digital
// avatar and must go to a human lawyer, with the reason and the topic (the lawyer
// specialty) of the matter.
package handoff

import (
	"regexp"
	"strconv"
	"strings"

	"fayun/internal/envflag"
)

// Reason is why a matter is handed to a human lawyer. The values are stable codes.
type Reason string

// The reasons for a handoff.
const (
	None            Reason = ""
	UserRequest     Reason = "user_request"     // the user asks for a person
	Criminal        Reason = "criminal"         // criminal exposure or a criminal case
	Litigation      Reason = "litigation"       // a lawsuit or arbitration is under way
	Drafting        Reason = "drafting"         // the user wants a document drafted or reviewed
	LargeSum        Reason = "large_sum"        // the amount at stake reaches Policy.LargeSum
	RepeatedFailure Reason = "repeated_failure" // answers kept failing in this session
	ModelRequest    Reason = "model_request"    // the LLM called request_lawyer
)

// Decision is the outcome of the policy.
type Decision struct {
	Handoff bool
	Reason  Reason
	Topic   string // lawyer specialty code (labor, contract, … criminal); may be empty
}

// Input is what the policy looks at for one turn.
type Input struct {
	Question string
	Topic    string // topic of the best answer found, if any
	Failures int    // consecutive turns of this session without an answer, this one included
}

// Policy holds the thresholds of the handoff decision. The zero value is not useful;
// use DefaultPolicy.
type Policy struct {
	LargeSum    float64 // yuan; a sum at or above this is handed off (default 1,000,000)
	MaxFailures int     // consecutive unanswered turns before a handoff (default 2)
}

// DefaultPolicy returns the default thresholds.
func DefaultPolicy() Policy { return Policy{LargeSum: 1_000_000, MaxFailures: 2} }

// Decide applies the policy to one turn. The first matching reason wins, in the order
// user request, criminal, litigation, drafting, large sum, repeated failure.
func (p Policy) Decide(in Input) Decision {
	// "human resources" is a department, not a request for a person.
	q := strings.ReplaceAll(strings.ToLower(in.Question), "human resources", "hr")
	topic := in.Topic
	if topic == "" {
		topic = GuessTopic(q)
	}
	d := Decision{Topic: topic}
	switch {
	case containsAny(q, userRequest):
		d.Reason = UserRequest
	case containsAny(q, criminal):
		d.Reason, d.Topic = Criminal, "criminal"
	case containsAny(q, litigation):
		d.Reason = Litigation
	case containsAny(q, drafting):
		d.Reason = Drafting
	case p.LargeSum > 0 && LargestSum(q) >= p.LargeSum:
		d.Reason = LargeSum
	case p.MaxFailures > 0 && in.Failures >= p.MaxFailures:
		d.Reason = RepeatedFailure
	}
	d.Handoff = d.Reason != None
	return d
}

var userRequest = []string{
	"真人", "转人工", "人工客服", "找人工", "要人工", "找律师", "转律师", "请律师", "真律师", "律师本人", "让律师", "跟律师",
	"和律师", "不要机器人", "别跟我说这些", "不想跟机器", "叫律师",
	"real lawyer", "to a human", "with a human", "human lawyer", "real person",
	"actual lawyer",
	"speak to a lawyer",
	"talk to a lawyer", "speak with a lawyer", "talk with a lawyer", "get me a lawyer",
	"someone real", "not a bot", "not a robot", "stop the bot",
}

var criminal = []string{
	"刑事", "犯罪", "判刑", "坐牢", "拘留", "拘禁", "逮捕", "公安局", "派出所", "立案侦查",
	"自诉", "诈骗", "职务侵占", "挪用资金", "挪用公款", "行贿", "受贿", "走私", "非法集资",
	"洗钱", "虚开发票", "虚开增值税", "自首", "取保候审", "检察院", "刑法", "刑拘", "绑架",
	"敲诈", "criminal", "crime", "arrest", "police", "jail", "prison", "prosecut",
	"bribe", "embezzle", "detained", "detention",
}

var litigation = []string{
	"被起诉", "起诉了", "被告了", "告了我", "告了我们", "把我们告", "把我告", "收到传票",
	"传票", "开庭", "已经立案", "已经起诉", "已经仲裁", "申请了仲裁", "提起了仲裁", "仲裁庭",
	"应诉", "判决书", "裁决书", "上诉", "被执行人", "强制执行了", "冻结了", "查封了",
	"sued", "being sued", "lawsuit", "summons", "court hearing", "served with",
	"arbitration has", "filed a claim", "filed against", "file an appeal", "appealed",
}

var drafting = []string{
	"帮我写", "帮我起草", "帮忙写", "帮我拟", "帮我改", "起草", "写一份", "拟一份", "出一份",
	"审合同", "审查合同", "审一下", "修改合同", "改合同", "律师函", "起诉状", "答辩状",
	"自诉状", "申请书", "draft a", "draft our", "draft my", "draft me", "write a contract",
	"write me", "write up", "review my",
	"review our", "review the contract", "prepare a letter", "lawyer's letter",
}

// GuessTopic returns the topic suggested by the words of a question, or "" when none
// stands out. It is the fallback when no card or article gave a topic.
func GuessTopic(q string) string {
	q = strings.ToLower(q)
	best, bestN := "", 0
	for _, t := range topicWords {
		n := 0
		for _, w := range t.words {
			if strings.Contains(q, w) {
				n++
			}
		}
		if n > bestN {
			best, bestN = t.topic, n
		}
	}
	return best
}

var topicWords = []struct {
	topic string
	words []string
}{
	{"criminal", []string{"刑事", "犯罪", "判刑", "拘", "公安", "criminal", "police"}},
	{"labor", []string{"员工", "劳动", "工资", "社保", "试用期", "辞退", "加班", "入职", "离职",
		"employee", "wage", "salary", "probation", "dismiss", "overtime", "staff", "人力资源",
		"human resources"}},
	{"company", []string{"股东", "公司法", "股权", "注册资本", "出资", "董事", "分红",
		"shareholder", "equity", "capital", "director"}},
	{"contract", []string{"合同", "违约", "定金", "租赁", "买卖", "担保", "contract", "breach",
		"lease", "deposit"}},
	{"debt", []string{"欠款", "欠钱", "借款", "债", "利息", "催收", "追讨", "debt", "loan",
		"owe", "interest"}},
	{"consumer", []string{"消费者", "退货", "假货", "食品", "广告", "电商", "网店", "顾客",
		"consumer", "refund", "customer", "food", "advert"}},
	{"ip", []string{"商标", "专利", "著作权", "版权", "商业秘密", "抄袭", "trademark", "patent",
		"copyright", "trade secret"}},
	{"tax", []string{"税", "发票", "滞纳金", "tax", "invoice"}},
	{"administrative", []string{"罚款", "行政处罚", "执法", "许可", "吊销", "责令", "fine",
		"penalty", "licence", "license", "regulator"}},
	{"data", []string{"个人信息", "隐私", "数据", "人脸", "指纹", "personal information",
		"privacy", "personal data", "biometric"}},
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

var (
	arabicSum  = regexp.MustCompile(`(\d[\d,]*(?:\.\d+)?)\s*(亿|千万|百万|万|million|billion|m\b|k\b)?`)
	chineseSum = regexp.MustCompile(`([零一二两三四五六七八九十百千几数上]+)\s*(亿|万)`)
)

// LargestSum returns the largest amount of money written in a question, in yuan
// ("300万", "两百万", "上千万", "5 million", "2,000,000"), or 0.
func LargestSum(q string) float64 {
	q = strings.ToLower(q)
	best := 0.0
	for _, m := range arabicSum.FindAllStringSubmatch(q, -1) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil {
			continue
		}
		v *= unitValue(m[2])
		best = max(best, v)
	}
	for _, m := range chineseSum.FindAllStringSubmatch(q, -1) {
		best = max(best, chineseAmount(m[1])*unitValue(m[2]))
	}
	return best
}

var digitValue = map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7,
	'八': 8, '九': 9}

func unitValue(u string) float64 {
	switch u {
	case "亿", "billion":
		return 1e8 * map[string]float64{"亿": 1, "billion": 10}[u]
	case "千万":
		return 1e7
	case "百万", "million", "m":
		return 1e6
	case "万":
		return 1e4
	case "k":
		return 1e3
	}
	return 1
}

// chineseAmount reads the numeral before 万 or 亿; vague words (几, 数, 上) count as
// the smallest reading ("几百" → 200, "上千" → 1000).
func chineseAmount(s string) float64 {
	s = strings.NewReplacer("几", "二", "数", "二", "上", "一", "两", "二").Replace(s)
	total, digit := 0.0, 0.0
	for _, r := range s {
		switch r {
		case '十', '百', '千':
			u := map[rune]float64{'十': 10, '百': 100, '千': 1000}[r]
			if digit == 0 {
				digit = 1
			}
			total += digit * u
			digit = 0
		default:
			digit = float64(digitValue[r])
		}
	}
	return total + digit
}

// RegisterSettings binds the policy thresholds to a command's flags and variables
// FAYUN_HANDOFF_LARGE_SUM and FAYUN_HANDOFF_MAX_FAILURES, starting from DefaultPolicy.
func RegisterSettings(fs *envflag.Set) *Policy {
	p := DefaultPolicy()
	fs.Float(&p.LargeSum, "handoff-large-sum", p.LargeSum,
		"sum of money (yuan) from which a question goes to a human lawyer")
	fs.Int(&p.MaxFailures, "handoff-max-failures", p.MaxFailures,
		"unanswered questions in a row before the call goes to a human lawyer")
	return &p
}
