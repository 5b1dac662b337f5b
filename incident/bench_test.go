package incident_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkFileAmongOpenIncidents files a post while 1,000 posts of open
// incidents lie inside the grouping window: the cost of reading and
// comparing their fingerprints on every filing (goal: well under 50 ms).
func BenchmarkFileAmongOpenIncidents(b *testing.B) {
	st, svc, c := setup(b)
	svc.SetTokenizer(gseWords(b))
	for i := range 1000 {
		p := savePost(b, st, fmt.Sprintf("http://bbs/seed-%d", i), fmt.Sprintf("第%d号诊所%d次收费问题", i, i*7),
			fmt.Sprintf("编号%d的诊所在第%d天多收了%d元检查费，请核查。", i, i%30, i*3), c.t)
		file(b, st, svc, p, 4, "institution")
		c.t = c.t.Add(time.Minute)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := savePost(b, st, fmt.Sprintf("http://bbs/new-%d", i), kangfuTitle, fmt.Sprintf("%s（%d）", kangfuBody, i), c.t)
		file(b, st, svc, p, 3, "institution")
	}
}
