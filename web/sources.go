package web

import (
	"net/http"
	"time"

	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// SourceInfo is a configured source as the source-health page lists it.
// Channel is its platform (taxonomy.Channels; "" when not said): the
// lists filter by it.
type SourceInfo struct {
	Name, Title, Kind, URL, Channel string
	Interval                        time.Duration
}

// Source health as shown in the 状态 column.
const (
	healthOK      = "ok"      // 正常
	healthFailing = "failing" // 失败中
	healthBroken  = "open"    // 已熔断
	healthNew     = "new"     // 尚未抓取
)

// sourceRow is one line of the source-health page. Every string is shown
// as escaped text: errors can quote what a site sent.
type sourceRow struct {
	SourceInfo
	State        store.SourceState
	Health       string
	HealthText   string
	ErrorKind    string
	LastError    string
	BreakerText  string
	NeverSuccess bool
	// GivenUp are items whose pages failed so often that the crawler
	// stopped fetching them (a deleted thread): listed, not alarming.
	GivenUp []store.ItemFailure
}

// givenUpShown bounds the given-up items listed per source.
const givenUpShown = 5

type sourcesPage struct {
	Title    string
	Rows     []sourceRow
	Problems int
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	states, err := s.opts.Store.SourceStates(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "读取数据源状态失败", err)
		return
	}
	page := sourcesPage{Title: "数据源状态", Rows: sourceRows(s.configuredSources(), states, s.opts.Now())}
	for i, row := range page.Rows {
		if row.Health == healthFailing || row.Health == healthBroken {
			page.Problems++
		}
		fails, err := s.opts.Store.ItemFailures(r.Context(), row.Name, 50)
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "读取数据源状态失败", err)
			return
		}
		for _, f := range fails {
			if !f.GivenUpAt.IsZero() && len(page.Rows[i].GivenUp) < givenUpShown {
				f.LastError = privacy.Mask(f.LastError)
				page.Rows[i].GivenUp = append(page.Rows[i].GivenUp, f)
			}
		}
	}
	s.render(w, r, http.StatusOK, "sources", page)
}

func (s *Server) configuredSources() []SourceInfo {
	if s.opts.Sources == nil {
		return nil
	}
	return s.opts.Sources()
}

// sourceRows joins the configured sources with their stored state, in
// configuration order. Without a configuration every stored state is
// listed; stored states of sources no longer configured are left out.
func sourceRows(cfg []SourceInfo, states []store.SourceState, now time.Time) []sourceRow {
	byName := make(map[string]store.SourceState, len(states))
	for _, st := range states {
		byName[st.Name] = st
	}
	if cfg == nil {
		for _, st := range states {
			cfg = append(cfg, SourceInfo{Name: st.Name, Title: st.Name})
		}
	}
	rows := make([]sourceRow, 0, len(cfg))
	for _, info := range cfg {
		st, ok := byName[info.Name]
		row := sourceRow{SourceInfo: info, State: st}
		row.ErrorKind = crawler.ErrorKindName(st.LastErrorKind)
		row.LastError = privacy.Mask(st.LastError)
		switch {
		case !ok || st.LastCheckAt.IsZero():
			row.Health, row.HealthText = healthNew, "尚未抓取"
		case !st.BreakerOpenUntil.IsZero():
			row.Health, row.HealthText = healthBroken, "已熔断"
		case st.ConsecutiveFailures > 0:
			row.Health, row.HealthText = healthFailing, "失败中"
		default:
			row.Health, row.HealthText = healthOK, "正常"
		}
		row.NeverSuccess = ok && !st.LastCheckAt.IsZero() && st.LastSuccessAt.IsZero()
		switch {
		case st.BreakerOpenUntil.IsZero():
			row.BreakerText = "关闭"
		case now.Before(st.BreakerOpenUntil):
			row.BreakerText = "打开"
		default:
			row.BreakerText = "待试探"
		}
		rows = append(rows, row)
	}
	return rows
}
