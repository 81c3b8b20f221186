package avatars

import "fmt"

var (
	testSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈" +
		"姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	testGiven = []string{"建国", "晓燕", "伟", "丽华", "志强", "静", "海峰", "敏", "明", "雪梅",
		"俊杰", "婷", "文博", "佳怡", "国栋", "秀英", "振华", "慧", "立新", "欣然"}
	testSpecs = []string{"劳动用工", "合同纠纷", "公司治理", "知识产权", "税务合规", "婚姻家事",
		"房产建设", "刑事辩护", "金融债务", "行政诉讼"}
	testFirms = []string{"法云律师事务所", "明德律师事务所", "正义律师事务所", "信达律师事务所"}
)

// testPersonas builds n synthetic personas with mixed genders.
func testPersonas(n int) []Persona {
	ps := make([]Persona, n)
	for i := range ps {
		g := "male"
		if (i*7)%5 < 2 {
			g = "female"
		}
		ps[i] = Persona{
			ID:            i + 1,
			Name:          string(testSurnames[i%len(testSurnames)]) + testGiven[(i*3)%len(testGiven)],
			Gender:        g,
			Specialty:     testSpecs[i%len(testSpecs)],
			Firm:          testFirms[i%len(testFirms)],
			YearsPractice: 3 + (i*11)%28,
		}
	}
	_ = fmt.Sprint
	return ps
}
