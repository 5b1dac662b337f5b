package web

import (
	"context"
	"net/http"
	"time"

	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
)

// SourceInfo is a configured source as the source-health page lists it.
type SourceInfo struct {
	Name, Title, Kind, URL string
	Interval               time.Duration
}

// SourceStateReader is the part of the store the source-health page reads
// (store.Store implements it).
type SourceStateReader interface {
	SourceStates(ctx context.Context) ([]store.SourceState, error)
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
}

type sourcesPage struct {
	Title    string
	Rows     []sourceRow
	Problems int
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	reader, ok := s.opts.Store.(SourceStateReader)
	if !ok {
		s.fail(w, http.StatusNotImplemented, "当前存储不支持数据源状态", nil)
		return
	}
	states, err := reader.SourceStates(r.Context())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "读取数据源状态失败", err)
		return
	}
	page := sourcesPage{Title: "数据源状态", Rows: sourceRows(s.configuredSources(), states, s.opts.Now())}
	for _, row := range page.Rows {
		if row.Health == healthFailing || row.Health == healthBroken {
			page.Problems++
		}
	}
	s.render(w, http.StatusOK, "sources", page)
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
