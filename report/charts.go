package report

import (
	"fmt"

	"github.com/yuqing-bureau/yuqing/report/chart"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// Links are where a click on a chart leads: the console passes the lists
// each part of a chart counts; a document passes none (nil: no link).
type Links struct {
	Relevant string // every relevant post
	Category func(taxonomy.Category) string
	Level    func(taxonomy.Level) string
	Source   func(name string) string
	Place    func(name string) string
}

// href is link(key), or "" without a link.
func href[K any](link func(K) string, key K) string {
	if link == nil {
		return ""
	}
	return link(key)
}

// Charts are a period's figures drawn.
type Charts struct {
	Volume     chart.SVG // collected and relevant posts a day
	Categories chart.SVG // relevant posts a day by category
	Levels     chart.SVG // by level
	Sentiments chart.SVG // by sentiment
	Sources    chart.SVG // share of each source
	Places     chart.SVG // share of each district; "" when none is configured
}

// Charts draws the figures; sourceTitle names a source (nil: its key).
func (f PostFigures) Charts(sourceTitle func(string) string, l Links) Charts {
	cs := f.ChartList(sourceTitle, l)
	c := Charts{Volume: cs[0].SVG(), Categories: cs[1].SVG(), Levels: cs[2].SVG(), Sentiments: cs[3].SVG(), Sources: cs[4].SVG()}
	if len(cs) > 5 {
		c.Places = cs[5].SVG()
	}
	return c
}

// ChartList is the figures as charts' data, in the order of Charts:
// volume, categories, levels, sentiments, sources and, when districts are
// configured, districts.
func (f PostFigures) ChartList(sourceTitle func(string) string, l Links) []Chart {
	days := chart.Daily{Unit: "条"}
	for _, d := range f.Days {
		days.Labels = append(days.Labels, d.Start.Format("01-02"))
		days.Names = append(days.Names, fmt.Sprintf("%d月%d日", d.Start.Month(), d.Start.Day()))
	}
	series := func(name, color, link string, value func(Day) int) chart.Series {
		s := chart.Series{Name: name, Color: color, Href: link}
		for _, d := range f.Days {
			s.Values = append(s.Values, value(d))
		}
		return s
	}
	volume := days
	volume.Title = "每日采集与相关帖子"
	volume.Series = []chart.Series{
		series("采集", chart.PaletteColor(0), "", func(d Day) int { return d.Collected }),
		series("相关", chart.PaletteColor(1), l.Relevant, func(d Day) int { return d.Relevant }),
	}
	out := []Chart{{Title: volume.Title, Style: LineChart, Daily: volume},
		stacked(days, "相关帖子（按类别）", taxonomy.Categories, func(i int, cat taxonomy.Category) chart.Series {
			return series(cat.Name(), chart.PaletteColor(i), href(l.Category, cat), func(d Day) int { return d.Categories[cat] })
		}),
		stacked(days, "相关帖子（按等级）", taxonomy.Levels, func(_ int, lv taxonomy.Level) chart.Series {
			return series(lv.Label(), chart.LevelColor(lv), href(l.Level, lv), func(d Day) int { return d.Levels[lv] })
		}),
		stacked(days, "相关帖子（按情感倾向）", taxonomy.Sentiments, func(i int, key string) chart.Series {
			return series(taxonomy.SentimentName(key), chart.SentimentColor(key), "", func(d Day) int { return d.Sentiments[i] })
		}),
	}
	return append(out, f.shareCharts(sourceTitle, l)...)
}

// stacked is days as stacked bars titled title, a series for each of
// keys.
func stacked[K any](days chart.Daily, title string, keys []K, series func(int, K) chart.Series) Chart {
	days.Title = title
	for i, k := range keys {
		days.Series = append(days.Series, series(i, k))
	}
	return Chart{Title: title, Style: StackedChart, Daily: days}
}

// shareCharts are the shares of the sources and (when districts are
// configured) of the districts in the period's relevant posts.
func (f PostFigures) shareCharts(sourceTitle func(string) string, l Links) []Chart {
	relevant := f.Total(len(f.Days)).Relevant
	sources := chart.Shares{Title: "来源分布（相关帖子）", Unit: "条", Total: relevant}
	for _, s := range f.Sources {
		name := s.Key
		if sourceTitle != nil {
			name = sourceTitle(s.Key)
		}
		sources.Bars = append(sources.Bars, chart.Bar{Label: name, Value: s.Relevant, Href: href(l.Source, s.Key),
			Detail: fmt.Sprintf("共采集 %d 条，其中负面 %d 条", s.Posts, s.Negative)})
	}
	out := []Chart{{Title: sources.Title, Style: ShareChart, Shares: sources}}
	if len(f.Places) == 0 {
		return out
	}
	places := chart.Shares{Title: "区县分布（相关帖子）", Unit: "条", Total: relevant}
	for _, p := range f.Places {
		places.Bars = append(places.Bars, chart.Bar{Label: p.Key, Value: p.Relevant, Href: href(l.Place, p.Key),
			Detail: "标题或正文提到" + p.Key})
	}
	return append(out, Chart{Title: places.Title, Style: ShareChart, Shares: places})
}
