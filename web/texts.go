package web

// texts holds every visible string of the server-rendered pages, by language. Scripts
// keep their own strings next to their code.
var texts = map[string]map[string]string{
	"zh": {
		"brand":           "法云",
		"brand_sub":       "7×24 小时数字律师",
		"home_title":      "法云 · 找律师视频咨询",
		"lang_other":      "English",
		"lang_other_code": "en",
		"hero_title":      "有法律问题？现在就和律师视频聊聊",
		"hero_text": "嘉兴 163 位执业律师的数字分身全天候在线，用大白话解答劳动用工、合同、" +
			"公司、消费、税务等问题，并告诉您依据的法律条文。需要时可转接真人律师。",
		"search_label":    "搜索律师或律所",
		"search_ph":       "输入姓名或律所名称",
		"specialty":       "专业领域",
		"district":        "所在区域",
		"all":             "全部",
		"search":          "查找",
		"reset":           "清除筛选",
		"results":         "位律师",
		"on_duty_now":     "位真人律师在线",
		"on_duty":         "真人在线",
		"years":           "年执业",
		"call":            "视频咨询",
		"empty_title":     "没有找到符合条件的律师",
		"empty_text":      "换个关键词，或清除筛选后再试。",
		"err_filter":      "筛选条件有误，已为您显示全部律师。",
		"err_unavailable": "律师名录暂时无法加载，请稍后刷新页面。",
		"footer": "法云是法治宣传教育服务，数字律师的回答仅供参考，不构成正式法律意见；" +
			"重要事项请转接真人律师。",
		"skip":      "跳到律师列表",
		"speaks_en": "可英语",
	},
	"en": {
		"brand":           "Fayun",
		"brand_sub":       "Digital lawyers, 24/7",
		"home_title":      "Fayun · Talk to a lawyer by video",
		"lang_other":      "中文",
		"lang_other_code": "zh",
		"hero_title":      "A legal question? Talk to a lawyer by video now",
		"hero_text": "Digital twins of 163 practising lawyers in Jiaxing answer questions on " +
			"employment, contracts, companies, consumers, tax and more in plain words, " +
			"citing the articles they rely on — day and night. A real lawyer can join when needed.",
		"search_label":    "Search lawyers or firms",
		"search_ph":       "Name or law firm",
		"specialty":       "Specialty",
		"district":        "District",
		"all":             "All",
		"search":          "Search",
		"reset":           "Clear filters",
		"results":         "lawyers",
		"on_duty_now":     "real lawyers online",
		"on_duty":         "Online now",
		"years":           "years in practice",
		"call":            "Video call",
		"empty_title":     "No lawyer matches",
		"empty_text":      "Try another word, or clear the filters.",
		"err_filter":      "The filter was not valid, so all lawyers are shown.",
		"err_unavailable": "The directory cannot be loaded right now. Please reload in a moment.",
		"footer": "Fayun is a legal-education service. The digital lawyers' answers are " +
			"general information, not formal legal advice; for important matters, ask for a real lawyer.",
		"skip":      "Skip to the lawyers",
		"speaks_en": "English",
	},
}
