package model

import "testing"

func TestTitleKey(t *testing.T) {
	for title, want := range map[string]string{
		"【转】康福医院组织老人挂床住院": "康福医院组织老人挂床住院",
		"回复：康福医院组织老人挂床住院": "康福医院组织老人挂床住院",
		"医保报销":      "", // too short to name a matter
		"锦绣沅城业主群":   "", // a chat group's name, not a thread's
		"沅州药店同行交流群": "",
	} {
		if got := TitleKey(title); got != want {
			t.Errorf("TitleKey(%q) = %q, want %q", title, got, want)
		}
	}
}
