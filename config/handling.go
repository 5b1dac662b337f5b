package config

import (
	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// validateHandling checks the offices and grouping settings.
func (c *Config) validateHandling(doc *yamlfile.Doc) []error {
	var errs []error
	if len(c.Offices) == 0 {
		errs = append(errs, doc.Errorf("offices", "至少需要配置一个承办科室"))
	}
	errs = append(errs, checkNames(doc, "offices", "科室", c.Offices)...)
	g := c.Grouping
	if g.SimHashDistance < 0 || g.SimHashDistance > 16 {
		errs = append(errs, doc.Errorf("grouping.simhash_distance", "近似重复的海明距离应在 0 到 16 之间"))
	}
	if g.EventWindow < 0 {
		errs = append(errs, doc.Errorf("grouping.event_window", "同一事件归并时间窗不能为负（0 表示不按事件归并）"))
	}
	if g.EventMinTerms < 1 {
		errs = append(errs, doc.Errorf("grouping.event_min_terms", "共同关键词数至少为 1"))
	}
	if g.BurstPosts < 0 || g.BurstWindow < 0 {
		errs = append(errs, doc.Errorf("grouping", "聚集升级的帖子数和时间窗不能为负"))
	}
	return errs
}
