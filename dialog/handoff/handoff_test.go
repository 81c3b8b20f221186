package handoff

import "testing"

func TestDecide(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		q        string
		topic    string
		failures int
		want     Reason
		topicOut string
	}{
		{"别跟我说这些了，我要找真人", "labor", 0, UserRequest, "labor"},
		{"能不能转人工", "", 0, UserRequest, ""},
		{"Can I speak to a lawyer please", "", 0, UserRequest, ""},
		{"老板涉嫌职务侵占，公司该怎么办", "company", 0, Criminal, "criminal"},
		{"Our manager was arrested for bribery", "", 0, Criminal, "criminal"},
		{"我们收到了法院传票", "", 0, Litigation, ""},
		{"员工已经申请了仲裁，我们怎么办", "labor", 0, Litigation, "labor"},
		{"帮我写一份律师函", "", 0, Drafting, ""},
		{"Please review our distribution contract", "contract", 0, Drafting, "contract"},
		{"对方欠款300万", "debt", 0, LargeSum, "debt"},
		{"涉及金额两百万元", "", 0, LargeSum, ""},
		{"a claim of 5 million yuan", "", 0, LargeSum, ""},
		{"欠款2,000,000元", "", 0, LargeSum, ""},
		{"上千万的合同纠纷", "", 0, LargeSum, ""},
		{"欠款5万元怎么要回来", "debt", 0, None, "debt"},
		{"劳动仲裁的裁决什么情况下是终局的", "labor", 0, None, "labor"},
		{"可以起诉吗", "", 0, None, ""},
		{"我们的人力资源 human resources 制度", "", 0, None, "labor"},
		{"Can a human resources manager sign for the company?", "", 0, None, ""},
		{"公司想换人，能辞退现在的员工吗", "labor", 0, None, "labor"},
		{"Let me talk to a human", "", 0, UserRequest, ""},
		{"???", "", 2, RepeatedFailure, ""},
		{"???", "", 1, None, ""},
	}
	for _, tt := range tests {
		d := p.Decide(Input{Question: tt.q, Topic: tt.topic, Failures: tt.failures})
		if d.Reason != tt.want || d.Handoff != (tt.want != None) {
			t.Errorf("%q: %+v, want %q", tt.q, d, tt.want)
		}
		if tt.topicOut != "" && d.Topic != tt.topicOut {
			t.Errorf("%q: topic %q, want %q", tt.q, d.Topic, tt.topicOut)
		}
	}
}

func TestLargestSum(t *testing.T) {
	for q, want := range map[string]float64{
		"300万": 3e6, "两百万": 2e6, "一亿": 1e8, "5 million": 5e6, "2,000,000元": 2e6,
		"八千": 0, "1.5亿": 1.5e8, "几十万": 2e5, "没有金额": 0, "12万5千": 1.2e5,
	} {
		if got := LargestSum(q); got != want {
			t.Errorf("LargestSum(%q) = %v, want %v", q, got, want)
		}
	}
}
