package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// The JSON API under /api/v1/, documented in docs/api.md. It is served to
// API tokens (Authorization: Bearer yq_...) and to console sessions (which
// must send X-CSRF-Token on POST). Lists always mask personal data; the
// detail is unmasked only for roles that see full text.

func (s *Server) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/me", s.apiMe)
	mux.HandleFunc("GET /api/v1/incidents", s.apiIncidents)
	mux.HandleFunc("GET /api/v1/incidents/{number}", s.apiIncident)
	mux.HandleFunc("POST /api/v1/incidents/{number}/{action}", s.apiAction)
	mux.HandleFunc("GET /api/v1/information", s.apiInformation)
}

// InformationJSON is a collected post as the post list returns it, with
// its latest grade and incident. By default the list holds 舆情信息
// (relevant, neutral or positive, 一般: no incident, no reply due).
type InformationJSON struct {
	URL         string            `json:"url"`
	Source      string            `json:"source"`
	Title       string            `json:"title"`   // masked
	Excerpt     string            `json:"excerpt"` // masked
	Graded      bool              `json:"graded"`
	Relevant    bool              `json:"relevant"`
	Information bool              `json:"information"`
	Category    taxonomy.Category `json:"category"`
	Level       taxonomy.Level    `json:"level"`
	Sentiment   string            `json:"sentiment"`
	DecidedBy   string            `json:"decided_by"`
	Incident    string            `json:"incident,omitempty"` // its number, when filed into one
	PublishedAt *time.Time        `json:"published_at,omitempty"`
	FirstSeenAt time.Time         `json:"first_seen_at"`
}

// apiInformation is GET /api/v1/information: the post list with the
// console page's parameters (postQuery), newest first, keyset pages.
func (s *Server) apiInformation(w http.ResponseWriter, r *http.Request) {
	pq, page, err := s.posts(r)
	var bad errQuery
	if errors.As(err, &bad) {
		s.apiError(w, http.StatusBadRequest, bad.msg)
		return
	}
	if err != nil {
		s.opts.Logger.Error("API 读取舆情信息失败", "err", err)
		s.apiError(w, http.StatusInternalServerError, "读取舆情信息失败")
		return
	}
	out := make([]InformationJSON, 0, len(page.Posts))
	for _, gp := range page.Posts {
		p, g := gp.Post, gp.Grade
		out = append(out, InformationJSON{URL: p.URL, Source: s.sourceTitle(p.Source), Title: privacy.Mask(p.Title),
			Excerpt: hitExcerpt(p.Body, pq.Words), Graded: gp.Graded, Relevant: g.Relevant, Information: g.Information,
			Category: g.Category, Level: g.Level, Sentiment: g.Sentiment, DecidedBy: g.DecidedBy, Incident: gp.Incident,
			PublishedAt: optTime(p.PublishedAt), FirstSeenAt: p.FirstSeenAt})
	}
	body := map[string]any{"total": page.Total, "total_capped": page.TotalCapped, "information": out}
	if page.Next != "" {
		body["next"] = page.Next
	}
	s.apiJSON(w, http.StatusOK, body)
}

// IncidentJSON is an incident as the API returns it.
type IncidentJSON struct {
	Number        string            `json:"number"`
	Title         string            `json:"title"`
	Category      taxonomy.Category `json:"category"`
	Level         taxonomy.Level    `json:"level"`
	LevelLabel    string            `json:"level_label"`
	Status        model.Status      `json:"status"`
	Source        string            `json:"source"`
	PostCount     int               `json:"post_count"`
	FirstSeenAt   time.Time         `json:"first_seen_at"`
	LastPostAt    time.Time         `json:"last_post_at"`
	AckDueAt      *time.Time        `json:"ack_due_at,omitempty"`
	FollowUpDueAt *time.Time        `json:"followup_due_at,omitempty"`
	AckedAt       *time.Time        `json:"acked_at,omitempty"`
	FollowedUpAt  *time.Time        `json:"followed_up_at,omitempty"`
	// The working-day stages of the levels that have them (调查核实, 答复反馈).
	InvestigateDueAt *time.Time `json:"investigate_due_at,omitempty"`
	InvestigatedAt   *time.Time `json:"investigated_at,omitempty"`
	FeedbackDueAt    *time.Time `json:"feedback_due_at,omitempty"`
	RepliedAt        *time.Time `json:"replied_at,omitempty"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	Office           string     `json:"office,omitempty"`
	FalsePositive    bool       `json:"false_positive,omitempty"`
	Suspected        bool       `json:"suspected,omitempty"` // 疑似: to be confirmed or downgraded
	URL              string     `json:"url"`
}

// PostJSON is a post of an incident.
type PostJSON struct {
	ID          int64             `json:"id"` // what a split names (post_id)
	URL         string            `json:"url"`
	Source      string            `json:"source"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	Author      string            `json:"author"`
	PublishedAt *time.Time        `json:"published_at,omitempty"`
	Reason      string            `json:"reason"`
	Level       taxonomy.Level    `json:"level"`
	Category    taxonomy.Category `json:"category"`
	Score       float64           `json:"score"`
	Sentiment   string            `json:"sentiment,omitempty"`  // negative, neutral, positive
	DecidedBy   string            `json:"decided_by,omitempty"` // rules, model, rules+model, staff
	Review      bool              `json:"review,omitempty"`     // 疑似: rules and model disagreed about Ⅰ/Ⅱ
}

// EventJSON is an entry of an incident's log.
type EventJSON struct {
	At    time.Time       `json:"at"`
	Kind  model.EventKind `json:"kind"`
	Actor string          `json:"actor"`
	Note  string          `json:"note"`
}

// DetailJSON is GET /api/v1/incidents/{number}.
type DetailJSON struct {
	Incident IncidentJSON `json:"incident"`
	Masked   bool         `json:"masked"` // personal data in texts is masked for this caller
	Posts    []PostJSON   `json:"posts"`
	Events   []EventJSON  `json:"events"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) incidentJSON(i model.Incident) IncidentJSON {
	return IncidentJSON{Number: i.Number, Title: privacy.Mask(i.Title), Category: i.Category, Level: i.Level,
		LevelLabel: i.Level.Label(), Status: i.Status, Source: i.Source, PostCount: i.PostCount,
		FirstSeenAt: i.FirstSeenAt, LastPostAt: i.LastPostAt, AckDueAt: optTime(i.AckDueAt),
		FollowUpDueAt: optTime(i.FollowUpDueAt), AckedAt: optTime(i.AckedAt), FollowedUpAt: optTime(i.FollowedUpAt),
		InvestigateDueAt: optTime(i.InvestigateDueAt), InvestigatedAt: optTime(i.InvestigatedAt),
		FeedbackDueAt: optTime(i.FeedbackDueAt), RepliedAt: optTime(i.RepliedAt),
		ClosedAt: optTime(i.ClosedAt), Office: i.Office, FalsePositive: i.FalsePositive, Suspected: i.Suspected,
		URL: "/incidents/" + i.Number}
}

func (s *Server) apiJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		s.opts.Logger.Warn("写出 JSON 失败", "err", err)
	}
}

func (s *Server) apiError(w http.ResponseWriter, status int, msg string) {
	s.apiJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	p, _ := principalOf(r.Context())
	out := map[string]any{"name": p.User.Name, "display_name": p.User.DisplayName, "role": p.Role, "via": p.Via,
		"office": p.User.Office}
	if p.Via == "session" {
		out["csrf_token"] = auth.CSRFToken(p.SessionID)
	}
	s.apiJSON(w, http.StatusOK, out)
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) {
	_, page, err := s.incidents(r)
	var bad errQuery
	if errors.As(err, &bad) {
		s.apiError(w, http.StatusBadRequest, bad.msg)
		return
	}
	if err != nil {
		s.opts.Logger.Error("API 读取事件列表失败", "err", err)
		s.apiError(w, http.StatusInternalServerError, "读取事件列表失败")
		return
	}
	out := make([]IncidentJSON, 0, len(page.Incidents))
	for _, i := range page.Incidents {
		out = append(out, s.incidentJSON(i))
	}
	body := map[string]any{"incidents": out, "total": page.Total}
	if page.Next != "" {
		body["next"] = page.Next
	}
	s.apiJSON(w, http.StatusOK, body)
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	d, err := s.opts.Store.IncidentDetail(r.Context(), number)
	if errors.Is(err, store.ErrNotFound) {
		s.apiError(w, http.StatusNotFound, "事件 "+number+" 不存在")
		return
	}
	if err != nil {
		s.opts.Logger.Error("API 读取事件失败", "err", err)
		s.apiError(w, http.StatusInternalServerError, "读取事件失败")
		return
	}
	p, _ := principalOf(r.Context())
	masked := !p.Role.SeesFullText()
	if masked {
		maskDetail(&d)
	}
	out := DetailJSON{Incident: s.incidentJSON(d.Incident), Masked: masked, Posts: []PostJSON{}, Events: []EventJSON{}}
	for _, ip := range d.Posts {
		out.Posts = append(out.Posts, PostJSON{ID: ip.Post.ID, URL: ip.Post.URL, Source: ip.Post.Source, Title: ip.Post.Title, Body: ip.Post.Body,
			Author: ip.Post.Author, PublishedAt: optTime(ip.Post.PublishedAt), Reason: ip.Reason, Level: ip.Grade.Level,
			Category: ip.Grade.Category, Score: ip.Grade.Score, Sentiment: ip.Grade.Sentiment, DecidedBy: ip.Grade.DecidedBy,
			Review: ip.Grade.Review})
	}
	for _, e := range d.Events {
		out.Events = append(out.Events, EventJSON{At: e.At, Kind: e.Kind, Actor: e.Actor, Note: e.Note})
	}
	s.apiJSON(w, http.StatusOK, out)
}

func (s *Server) apiAction(w http.ResponseWriter, r *http.Request) {
	number, name := r.PathValue("number"), r.PathValue("action")
	st, ok := incident.StepByKey(s.steps(), name)
	if !ok {
		s.apiError(w, http.StatusNotFound, "未知操作 "+name)
		return
	}
	p, _ := principalOf(r.Context())
	if !p.Role.AtLeast(st.Role) {
		s.forbidden(w, r, st.Role)
		return
	}
	var req incident.Input
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		s.apiError(w, http.StatusBadRequest, "请求体应为 JSON：{\"note\": \"...\"}")
		return
	}
	audit(r, "incident."+name, number, req.Note)
	if utf8.RuneCountInString(req.Note) > maxNoteRunes {
		s.apiError(w, http.StatusBadRequest, noteTooLong)
		return
	}
	inc, err := s.opts.Workflow.Do(r.Context(), st, number, p.ActorName(), req)
	switch msg := refusal(err); {
	case errors.Is(err, store.ErrNotFound):
		s.apiError(w, http.StatusNotFound, "事件 "+number+" 不存在")
	case msg != "":
		s.apiError(w, http.StatusConflict, msg)
	case err != nil:
		s.opts.Logger.Error("API 操作失败", "action", name, "incident", number, "err", err)
		s.apiError(w, http.StatusInternalServerError, "操作失败")
	default:
		s.opts.Logger.Info("API 操作", "action", name, "incident", number, "actor", p.User.Name)
		s.apiJSON(w, http.StatusOK, map[string]any{"incident": s.incidentJSON(inc)})
	}
}
