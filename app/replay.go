package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/grader"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/privacy"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// ReplayOptions configure `yuqing replay`.
type ReplayOptions struct {
	ConfigFile string    // the daemon's configuration: store and sources
	RulesFile  string    // the candidate rules
	DictDir    string    // "": the dict directory beside RulesFile
	Since      time.Time // posts first seen at or after
	JSON       bool
	Out        io.Writer
}

// PostChange is a stored post whose grade the candidate rules would change.
type PostChange struct {
	PostID   int64         `json:"post_id"`
	Source   string        `json:"source"`
	Title    string        `json:"title"` // masked
	Incident string        `json:"incident,omitempty"`
	Old      model.Verdict `json:"old"`
	New      model.Verdict `json:"new"`
}

// IncidentChange is an incident whose level or category would move: the
// most severe level, and the category most of its posts would get.
type IncidentChange struct {
	Number string        `json:"number"`
	Title  string        `json:"title"` // masked
	Old    model.Verdict `json:"old"`
	New    model.Verdict `json:"new"`
}

// ReplayReport is what replay found.
type ReplayReport struct {
	RulesVersionOld []string         `json:"rules_versions_old"`
	RulesVersionNew string           `json:"rules_version_new"`
	Posts           int              `json:"posts"`
	Ungraded        int              `json:"ungraded"`
	Changed         []PostChange     `json:"changed_posts"`
	Incidents       []IncidentChange `json:"changed_incidents"`
	NewlyRelevant   int              `json:"newly_relevant"`
	NoLongerRelated int              `json:"no_longer_relevant"`
}

// Replay regrades stored posts with candidate rules and reports what would
// change, without writing to the store (it is opened read-only).
func Replay(ctx context.Context, o ReplayOptions) (ReplayReport, error) {
	var rep ReplayReport
	cfg, err := config.Load(o.ConfigFile)
	if err != nil {
		return rep, err
	}
	eng, err := loadEngine(o.RulesFile, o.DictDir)
	if err != nil {
		return rep, err
	}
	rep.RulesVersionNew = eng.Version()
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return rep, err
	}
	defer st.Close()

	norms, err := st.EngagementNorms(ctx, time.Now().Add(-grader.NormWindow))
	if err != nil {
		return rep, err
	}
	r := replayer{eng: eng, catalog: func() *config.Config { return cfg }, norms: norms, rep: &rep,
		incidents: map[string]*replayIncident{}, versions: map[string]bool{}}
	var after int64
	for {
		page, err := st.GradedPosts(ctx, o.Since, after, 500)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].Post.ID
		for _, gp := range page {
			r.post(gp)
		}
	}
	r.finish()
	return rep, writeReplay(o, rep)
}

// replayer regrades stored posts one by one and gathers what changes,
// per post and per incident (an incident's verdict folds its posts').
type replayer struct {
	eng       *classifier.Engine
	catalog   sourceCatalog
	norms     map[string]store.Engagement
	rep       *ReplayReport
	incidents map[string]*replayIncident
	versions  map[string]bool // rules versions of the stored grades
}

type replayIncident struct {
	title              string
	old, new           model.Verdict
	oldVotes, newVotes map[taxonomy.Category]int
}

func (r *replayer) post(gp store.GradedPost) {
	rep := r.rep
	rep.Posts++
	if !gp.Graded {
		rep.Ungraded++
		return
	}
	r.versions[gp.Grade.RulesVersion] = true
	res := r.eng.Grade(grader.ClassifierPost(gp.Post, r.catalog.Grading(gp.Post.Source), r.norms[gp.Post.Source]))
	ng := grader.ToGrade(gp.Post.ID, res, time.Time{}, false)
	old := gp.Grade.Verdict()
	nw := ng.Verdict()
	if old != nw {
		rep.Changed = append(rep.Changed, PostChange{PostID: gp.Post.ID, Source: gp.Post.Source,
			Title: privacy.Mask(incidentTitle(gp.Post)), Incident: gp.Incident, Old: old, New: nw})
		switch {
		case nw.Relevant && !old.Relevant:
			rep.NewlyRelevant++
		case old.Relevant && !nw.Relevant:
			rep.NoLongerRelated++
		}
	}
	if gp.Incident == "" {
		return
	}
	a := r.incidents[gp.Incident]
	if a == nil {
		a = &replayIncident{title: privacy.Mask(incidentTitle(gp.Post)), oldVotes: map[taxonomy.Category]int{}, newVotes: map[taxonomy.Category]int{}}
		r.incidents[gp.Incident] = a
	}
	fold(&a.old, a.oldVotes, old)
	fold(&a.new, a.newVotes, nw)
}

// finish lists the incidents whose verdict changes and the old versions.
func (r *replayer) finish() {
	rep := r.rep
	for number, a := range r.incidents {
		a.old.Category, a.new.Category = topVote(a.oldVotes), topVote(a.newVotes)
		if a.old != a.new {
			rep.Incidents = append(rep.Incidents, IncidentChange{Number: number, Title: a.title, Old: a.old, New: a.new})
		}
	}
	sort.Slice(rep.Incidents, func(i, j int) bool { return rep.Incidents[i].Number < rep.Incidents[j].Number })
	for v := range r.versions {
		rep.RulesVersionOld = append(rep.RulesVersionOld, v)
	}
	sort.Strings(rep.RulesVersionOld)
}

// fold merges one post's verdict into an incident's: relevant if any post
// is, the most severe level, category by majority.
func fold(into *model.Verdict, votes map[taxonomy.Category]int, v model.Verdict) {
	if !v.Relevant {
		return
	}
	into.Relevant = true
	if into.Level == 0 || v.Level < into.Level {
		into.Level = v.Level
	}
	votes[v.Category]++
}

func topVote(votes map[taxonomy.Category]int) taxonomy.Category {
	best, n := taxonomy.Category(""), 0
	for _, c := range taxonomy.Categories {
		if votes[c] > n {
			best, n = c, votes[c]
		}
	}
	return best
}

func incidentTitle(p model.Post) string {
	if p.Title != "" {
		return p.Title
	}
	// Cut never inside a number, so masking the result still hides it.
	return privacy.Truncate(p.Body, 40)
}

func writeReplay(o ReplayOptions, rep ReplayReport) error {
	if o.JSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := o.Out
	fmt.Fprintf(w, "回放：用候选规则（版本 %s）重新研判 %d 条已存帖子（%d 条尚未研判，跳过）\n", rep.RulesVersionNew, rep.Posts, rep.Ungraded)
	fmt.Fprintf(w, "原研判使用的规则版本：%v\n\n", rep.RulesVersionOld)
	fmt.Fprintf(w, "研判结果会变化的帖子：%d 条（新增相关 %d，转为无关 %d）\n", len(rep.Changed), rep.NewlyRelevant, rep.NoLongerRelated)
	for _, c := range rep.Changed {
		inc := c.Incident
		if inc == "" {
			inc = "—"
		}
		fmt.Fprintf(w, "  帖子 %-6d %-18s %s → %s  [%s] %s\n", c.PostID, inc, c.Old.Text(), c.New.Text(), c.Source, c.Title)
	}
	fmt.Fprintf(w, "\n等级或类别会变化的事件：%d 个\n", len(rep.Incidents))
	for _, c := range rep.Incidents {
		fmt.Fprintf(w, "  %s  %s → %s  %s\n", c.Number, c.Old.Text(), c.New.Text(), c.Title)
	}
	fmt.Fprintln(w, "\n（回放只读取数据库，不做任何修改；确认无误后替换规则文件并重新加载。）")
	return nil
}
