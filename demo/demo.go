// Package demo owns the built-in sample sites of the fictional city 岚川市
// that `yuqing demo` serves on loopback: a GBK Discuz! X3.4 forum with two
// boards, a 12345-style government message board and a news RSS feed. A new
// user with no internet sees real crawling, grading and incidents within a
// minute. Posts are released over the first two minutes (computed from an
// injected clock), so the console visibly fills up.
package demo

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/http"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/yuqing-bureau/yuqing/taxonomy"
)

//go:embed posts.yaml
var postsYAML []byte

// Board keys used in posts.yaml.
const (
	boardBBS2  = "bbs2"
	boardBBS41 = "bbs41"
	boardGov   = "gov"
	boardNews  = "news"
)

// cst is the sites' display time zone; fixed so the demo needs no tzdata.
var cst = time.FixedZone("CST", 8*3600)

type comment struct {
	Author string `yaml:"author"`
	Text   string `yaml:"text"`
}

// post is one entry of posts.yaml plus the fields derived from the demo start.
type post struct {
	Key         string            `yaml:"key"`
	Board       string            `yaml:"board"`
	Sticky      bool              `yaml:"sticky"`
	Type        string            `yaml:"type"`
	Author      string            `yaml:"author"`
	Dept        string            `yaml:"dept"`
	Title       string            `yaml:"title"`
	Delay       time.Duration     `yaml:"delay"`
	Age         time.Duration     `yaml:"age"`
	Replies     int               `yaml:"replies"`
	Views       int               `yaml:"views"`
	Grow        float64           `yaml:"grow"`
	GrowMax     int               `yaml:"grow_max"`
	Category    taxonomy.Category `yaml:"category"`
	Level       taxonomy.Level    `yaml:"level"`
	RepostOf    string            `yaml:"repost_of"`
	Body        string            `yaml:"body"`
	Comments    []comment         `yaml:"comments"`
	Answer      string            `yaml:"answer"`
	AnswerAfter time.Duration     `yaml:"answer_after"`

	id        int       // tid, message number or article number
	visibleAt time.Time // start + Delay
	postedAt  time.Time // visibleAt - Age
}

// Forum serves the sample sites. It is immutable after NewForum, so one
// value serves any number of concurrent requests.
type Forum struct {
	now   func() time.Time
	start time.Time
	posts []*post            // every post, in file order
	board map[string][]*post // per board, newest first
	byID  map[string]map[int]*post
}

// parsePosts decodes the embedded sample data strictly; a mistake there is a
// programming error that the package tests catch.
func parsePosts() []*post {
	var ps []*post
	dec := yaml.NewDecoder(bytes.NewReader(postsYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&ps); err != nil {
		panic(fmt.Sprintf("demo: posts.yaml: %v", err))
	}
	return ps
}

// NewForum builds the sample sites for a demo that started at start; now is
// the clock that decides which posts are visible and how hot threads grow.
func NewForum(now func() time.Time, start time.Time) *Forum {
	f := &Forum{
		now:   now,
		start: start,
		posts: parsePosts(),
		board: map[string][]*post{},
		byID:  map[string]map[int]*post{},
	}
	for _, p := range f.posts {
		p.visibleAt = start.Add(p.Delay)
		p.postedAt = p.visibleAt.Add(-p.Age)
		f.board[p.Board] = append(f.board[p.Board], p)
	}
	// Number posts in order of posting, with irregular gaps so that IDs look
	// like those of a busy site and grow with time as real ones do.
	next := map[string]int{boardBBS2: 48150, boardGov: 260311, boardNews: 5210}
	all := slices.Clone(f.posts)
	slices.SortStableFunc(all, func(a, b *post) int { return a.postedAt.Compare(b.postedAt) })
	for i, p := range all {
		key := p.Board
		if key == boardBBS41 {
			key = boardBBS2 // one Discuz site: tids are shared by its boards
		}
		next[key] += 3 + (i*7)%13
		p.id = next[key]
	}
	for b, ps := range f.board {
		slices.SortStableFunc(ps, func(a, b *post) int { return b.postedAt.Compare(a.postedAt) })
		f.byID[b] = map[int]*post{}
		for _, p := range ps {
			f.byID[b][p.id] = p
		}
	}
	return f
}

// visible reports whether p has been released at t.
func (p *post) visible(t time.Time) bool { return !t.Before(p.visibleAt) }

// answered reports whether the government board shows a reply at t.
func (p *post) answered(t time.Time) bool {
	return p.Answer != "" && !t.Before(p.postedAt.Add(p.AnswerAfter))
}

// replies is the reply count at t: hot threads keep gaining replies after
// they appear, so engagement history has something to show.
func (p *post) replies(t time.Time) int {
	return p.Replies + p.grown(t)
}

func (p *post) grown(t time.Time) int {
	if p.Grow <= 0 || !p.visible(t) {
		return 0
	}
	return min(p.GrowMax, int(p.Grow*t.Sub(p.visibleAt).Minutes()))
}

// views grows slowly for every thread and fast with new replies.
func (p *post) views(t time.Time) int {
	if !p.visible(t) {
		return p.Views
	}
	trickle := min(600, int(2*t.Sub(p.visibleAt).Minutes()))
	return p.Views + 17*p.grown(t) + trickle
}

// visiblePosts returns the board's posts visible at t, newest first.
func (f *Forum) visiblePosts(board string, t time.Time) []*post {
	var out []*post
	for _, p := range f.board[board] {
		if p.visible(t) {
			out = append(out, p)
		}
	}
	return out
}

// lookup returns the post with that id on board if it is visible at t.
func (f *Forum) lookup(board string, id int, t time.Time) *post {
	p := f.byID[board][id]
	if p == nil || !p.visible(t) {
		return nil
	}
	return p
}

// Entry describes one sample post and the grade the demo expects for it, so
// an end-to-end check can compare what the daemon filed with what was served.
type Entry struct {
	Source   string            // source name in SourcesYAML
	Path     string            // URL path and query of the post, without the base URL
	Title    string            //
	Category taxonomy.Category // taxonomy key; "" for a hard negative
	Level    taxonomy.Level    // 1-4; 0 for a hard negative
	Visible  time.Duration     // when it appears, after the demo start
}

// Catalog lists every sample post (board announcements excluded) in file order.
func (f *Forum) Catalog() []Entry {
	var out []Entry
	for _, p := range f.posts {
		if p.Sticky {
			continue
		}
		out = append(out, Entry{
			Source:   sourceName(p.Board),
			Path:     postPath(p),
			Title:    p.Title,
			Category: p.Category,
			Level:    p.Level,
			Visible:  p.Delay,
		})
	}
	return out
}

func sourceName(board string) string {
	switch board {
	case boardBBS2:
		return "lanchuan-bbs"
	case boardBBS41:
		return "lanchuan-bbs-health"
	case boardGov:
		return "lanchuan-12345"
	default:
		return "lanchuan-news"
	}
}

func postPath(p *post) string {
	switch p.Board {
	case boardBBS2, boardBBS41:
		return fmt.Sprintf("/forum.php?mod=viewthread&tid=%d", p.id)
	case boardGov:
		return fmt.Sprintf("/gov/liuyan/show?id=%d", p.id)
	default:
		return fmt.Sprintf("/news/article/%d.html", p.id)
	}
}

// Handler serves all sample sites under one loopback origin.
func (f *Forum) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", f.serveIndex)
	mux.HandleFunc("GET /robots.txt", serveRobots)
	mux.HandleFunc("GET /forum.php", f.serveDiscuz)
	mux.HandleFunc("GET /admin.php", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Access Denied", http.StatusForbidden)
	})
	mux.HandleFunc("GET /gov/liuyan/list", f.serveGovList)
	mux.HandleFunc("GET /gov/liuyan/show", f.serveGovShow)
	mux.HandleFunc("GET /news/rss.xml", f.serveRSS)
	mux.HandleFunc("GET /news/article/{file}", f.serveArticle)
	return mux
}

// robotsTxt follows the stock Discuz! X robots.txt: crawlers may read lists
// and threads but not the admin, posting or member pages.
const robotsTxt = `#
# robots.txt for Discuz! X3 (岚川论坛) and 岚川市政务、新闻站点
#
User-agent: *
Disallow: /api/
Disallow: /data/
Disallow: /source/
Disallow: /install/
Disallow: /template/
Disallow: /config/
Disallow: /uc_client/
Disallow: /uc_server/
Disallow: /static/
Disallow: /admin.php
Disallow: /search.php
Disallow: /member.php
Disallow: /api.php
Disallow: /misc.php
Disallow: /connect.php
Disallow: /forum.php?mod=redirect*
Disallow: /forum.php?mod=post*
Disallow: /home.php?mod=spacecp*
Disallow: /gov/admin/
`

func serveRobots(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(robotsTxt))
}
