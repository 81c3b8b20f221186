package web

// accountTexts are the strings of the sign-in, invitation and console pages; init
// merges them into texts.
var accountTexts = map[string]map[string]string{
	"zh": {
		"signin_title":           "律师与工作人员登录 · 法云",
		"signin_heading":         "登录",
		"signin_intro":           "律师、内容编辑和运营人员在这里登录。咨询用户无需登录。",
		"signin_login":           "邮箱或律师编号",
		"signin_password":        "密码",
		"signin_submit":          "登录",
		"signin_forgot":          "忘记密码或还没有账户？请联系运营人员为您发送一次性设置链接。",
		"signin_err_bad":         "邮箱（或律师编号）与密码不匹配，请检查后重试。",
		"signin_err_throttled":   "登录失败次数过多，请 15 分钟后再试，或联系运营人员。",
		"signin_err_csrf":        "页面已过期，请重新输入后提交。",
		"signin_err_unavailable": "暂时无法登录，请稍后重试。",
		"signout":                "退出登录",
		"invite_title":           "设置密码 · 法云",
		"invite_heading":         "设置您的密码",
		"invite_for":             "账户",
		"invite_password":        "新密码（至少 10 个字符）",
		"invite_password2":       "再输入一次",
		"invite_submit":          "保存并登录",
		"invite_err_invalid":     "这个链接无效、已使用或已过期。请联系运营人员重新发送。",
		"invite_err_mismatch":    "两次输入的密码不一致，请重新输入。",
		"invite_err_weak":        "密码需要 10 到 200 个字符，请换一个更长的密码。",
		"role_lawyer":            "律师",
		"role_staff":             "内容编辑",
		"role_operator":          "运营",
	},
	"en": {
		"signin_title":           "Sign in for lawyers and staff · Fayun",
		"signin_heading":         "Sign in",
		"signin_intro":           "For lawyers, content staff and operators. Callers do not need an account.",
		"signin_login":           "Email or lawyer number",
		"signin_password":        "Password",
		"signin_submit":          "Sign in",
		"signin_forgot":          "Forgot your password or have no account? Ask an operator to send you a one-time link.",
		"signin_err_bad":         "The email (or lawyer number) and password do not match. Please check and try again.",
		"signin_err_throttled":   "Too many failed attempts. Please wait 15 minutes or ask an operator.",
		"signin_err_csrf":        "The page expired. Please enter your details again.",
		"signin_err_unavailable": "Signing in is not possible right now. Please try again shortly.",
		"signout":                "Sign out",
		"invite_title":           "Set your password · Fayun",
		"invite_heading":         "Set your password",
		"invite_for":             "Account",
		"invite_password":        "New password (at least 10 characters)",
		"invite_password2":       "Type it again",
		"invite_submit":          "Save and sign in",
		"invite_err_invalid":     "This link is not valid, already used or expired. Ask an operator for a new one.",
		"invite_err_mismatch":    "The two passwords differ. Please type them again.",
		"invite_err_weak":        "The password needs 10 to 200 characters. Please choose a longer one.",
		"role_lawyer":            "Lawyer",
		"role_staff":             "Content staff",
		"role_operator":          "Operator",
	},
}

func init() {
	for lang, m := range accountTexts {
		for k, v := range m {
			texts[lang][k] = v
		}
	}
}
