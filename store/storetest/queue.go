package storetest

import (
	stdcmp "cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/incident"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/taxonomy"
)

// claim takes up to limit posts from the grading queue as holder at now.
func claim(t *testing.T, s store.Store, holder string, limit int, now time.Time) []int64 {
	t.Helper()
	ps, err := s.ClaimUngraded(context.Background(), store.GradingClaim{Holder: holder, Limit: limit, Now: now, TTL: time.Minute})
	if err != nil {
		t.Fatalf("ClaimUngraded(%s): %v", holder, err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
		if p.URL == "" || p.ContentHash == "" {
			t.Errorf("claimed post %d comes without its content: %+v", p.ID, p)
		}
	}
	return ids
}

// testGradingQueue: claims are disjoint, oldest first; released or lapsed
// claims are taken again; only the claim's holder ends it, once, and not
// after another took it over; a graded post leaves the queue.
func testGradingQueue(t *testing.T, s store.Store) {
	ctx := context.Background()
	ps := []*model.Post{post(1), post(2), post(3)}
	for _, p := range ps {
		mustSave(t, s, p)
	}
	a, b, c := ps[0].ID, ps[1].ID, ps[2].ID
	if got := claim(t, s, "i1", 2, t0); !slices.Equal(got, []int64{a, b}) {
		t.Fatalf("first claim %v, want %v", got, []int64{a, b})
	}
	if got := claim(t, s, "i2", 5, t0); !slices.Equal(got, []int64{c}) {
		t.Fatalf("second claim %v, want what the first left: %v", got, []int64{c})
	}
	if got := claim(t, s, "i3", 5, t0.Add(30*time.Second)); len(got) != 0 {
		t.Fatalf("everything claimed, yet i3 got %v", got)
	}
	// Another's release changes nothing; the holder's own returns the post.
	if err := s.ReleaseClaims(ctx, "i3", []int64{c}); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, "i3", 5, t0); len(got) != 0 {
		t.Fatalf("a release by a non-holder freed %v", got)
	}
	if err := s.ReleaseClaims(ctx, "i2", []int64{c}); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, "i3", 5, t0.Add(50*time.Second)); !slices.Equal(got, []int64{c}) {
		t.Fatalf("after i2 released it, i3 got %v, want %v", got, []int64{c})
	}
	end := func(holder string, p *model.Post, grade bool) bool {
		t.Helper()
		var ok bool
		err := s.InTx(ctx, func(tx store.Tx) error {
			var err error
			if ok, err = tx.EndClaim(ctx, p.ID, holder); err != nil || !ok || !grade {
				return err
			}
			return tx.SaveGrade(ctx, model.Grade{PostID: p.ID, RulesVersion: "v1", GradedAt: t0})
		})
		if err != nil {
			t.Fatalf("EndClaim(%d, %s): %v", p.ID, holder, err)
		}
		return ok
	}
	// i1's claims lapse: i4 takes a and b, and i1 can no longer end them.
	if got := claim(t, s, "i4", 5, t0.Add(100*time.Second)); !slices.Equal(got, []int64{a, b}) {
		t.Fatalf("after i1's claims lapsed i4 got %v, want %v", got, []int64{a, b})
	}
	if end("i1", ps[0], true) {
		t.Error("i1 ended a claim i4 had taken over")
	}
	if !end("i4", ps[0], true) || end("i4", ps[0], true) {
		t.Error("i4 could not end its claim on a exactly once")
	}
	// A live claim is its holder's to end (without grading: c is queued).
	if !end("i3", ps[2], false) {
		t.Error("i3 could not end its own claim")
	}
	// Graded, a leaves the queue; b (claim live) and c (claim ended, not
	// graded) are where they were.
	if got := claim(t, s, "i5", 5, t0.Add(100*time.Second)); !slices.Equal(got, []int64{c}) {
		t.Fatalf("i5 got %v, want %v", got, []int64{c})
	}
	if u, err := s.UngradedPosts(ctx, 10); err != nil || len(u) != 2 {
		t.Fatalf("UngradedPosts = %v, %v; want b and c (claims do not hide them)", u, err)
	}
	if err := s.ReleaseClaims(ctx, "i5", nil); err != nil {
		t.Errorf("releasing nothing: %v", err)
	}
	// A crawl saves a new version of b while i4 grades the old one: the
	// claim ends with the save, so the old grade is not filed as the new
	// version's, and b is queued again.
	if got := claim(t, s, "i4", 5, t0.Add(200*time.Second)); !slices.Contains(got, b) {
		t.Fatalf("i4 got %v, want b (%d) among them", got, b)
	}
	v2 := *ps[1]
	v2.Body += "（补充：今天又去问了，还是没有结果。）"
	if res, err := s.SavePost(ctx, &v2); err != nil || res != store.Changed {
		t.Fatalf("saving b's new version: %v, %v", res, err)
	}
	if end("i4", ps[1], true) {
		t.Error("a claim on b's old version ended after a new version was saved")
	}
	if got := claim(t, s, "i6", 5, t0.Add(200*time.Second)); !slices.Contains(got, b) {
		t.Fatalf("b's new version is not queued again: i6 got %v", got)
	}
}

// testFilingConcurrent: several stores on one database (instances) each
// with several goroutines take posts from the grading queue and file
// them at once as the grader does (InRowTx: no write lock, grouping keys
// only), reposts of a few stories interleaved with chatter graded
// irrelevant: every post is filed once, each story is one incident
// holding all its posts, and the incident numbers of the day run from 1
// without a gap or a clash.
func testFilingConcurrent(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	const (
		instances, workers = 3, 4
		stories, reposts   = 5, 8
		chatter            = 20
	)
	stores := make([]EngineStore, instances)
	for i := range stores {
		stores[i] = open(t, e, addr)
	}
	saveStories(t, stores[0], stories, reposts, chatter)
	now := func() time.Time { return t0.Add(time.Minute) }
	var (
		mu    sync.Mutex
		filed = map[int64]string{} // post → who filed it
		errs  []error
		wg    sync.WaitGroup
	)
	for i, s := range stores {
		svc := incident.New(s, incident.DefaultPolicy(), now, nil)
		for w := range workers {
			holder := fmt.Sprintf("instance-%d/%d", i, w)
			wg.Go(func() {
				for {
					ps, err := s.ClaimUngraded(ctx, store.GradingClaim{Holder: holder, Limit: 3, Now: now(), TTL: time.Hour})
					if err != nil || len(ps) == 0 {
						if err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
						}
						return
					}
					for _, p := range ps {
						level := taxonomy.Level(3)
						if strings.Contains(p.Title, "电梯") {
							level = 0 // irrelevant: files nothing, locks no key
						}
						err := s.InRowTx(ctx, func(tx store.Tx) error {
							if ok, err := tx.EndClaim(ctx, p.ID, holder); err != nil || !ok {
								return stdcmp.Or(err, fmt.Errorf("%s lost its claim on post %d", holder, p.ID))
							}
							_, err := svc.File(ctx, tx, p, grade(&p, level))
							return err
						})
						mu.Lock()
						if err != nil {
							errs = append(errs, err)
						} else if by, dup := filed[p.ID]; dup {
							errs = append(errs, fmt.Errorf("post %d filed by %s and %s", p.ID, by, holder))
						} else {
							filed[p.ID] = holder
						}
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(filed) != stories*reposts+chatter {
		t.Errorf("%d posts filed, want %d", len(filed), stories*reposts+chatter)
	}
	checkOneIncidentPerStory(t, stores[1], stories, reposts)
	if u, err := stores[2].UngradedPosts(ctx, 100); err != nil || len(u) != 0 {
		t.Errorf("left ungraded: %d posts, %v", len(u), err)
	}
}

// saveStories stores reposts reposts (same title key, other sites) of
// each of stories stories, and chatter posts no grade files.
func saveStories(t *testing.T, s store.Store, stories, reposts, chatter int) {
	t.Helper()
	titles := []string{"住院报销材料交了两个月还没到账", "门诊慢特病认定一拖再拖", "异地就医备案网上办不了",
		"药店刷医保卡多扣了钱", "医保服务大厅窗口排长队"}[:stories]
	for r := range reposts {
		for st, title := range titles {
			p := post(100*st + r)
			p.Title, p.Body = title, fmt.Sprintf("%s（转自第%d个网站）", title, r) // reposts: same title key
			p.Source = fmt.Sprintf("site-%d", r)
			mustSave(t, s, p)
		}
	}
	for i := range chatter {
		p := post(1000 + i)
		p.Title, p.Body = fmt.Sprintf("小区%d号楼电梯又坏了", i), "物业不管。"
		mustSave(t, s, p)
	}
}

// checkOneIncidentPerStory: each story is one incident holding all its
// reposts, numbered 1..stories on one day.
func checkOneIncidentPerStory(t *testing.T, s store.Store, stories, reposts int) {
	t.Helper()
	ctx := context.Background()
	page, err := s.Incidents(ctx, store.IncidentFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, inc := range page.Incidents {
		numbers = append(numbers, inc.Number)
		if inc.PostCount != reposts {
			t.Errorf("incident %s (%s) holds %d posts, want %d", inc.Number, inc.Title, inc.PostCount, reposts)
		}
	}
	if len(numbers) != stories {
		t.Errorf("%d incidents %v, want %d: one per story", len(numbers), numbers, stories)
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if want := fmt.Sprintf("-%04d", i+1); !strings.HasSuffix(n, want) || n[:len(n)-5] != numbers[0][:len(numbers[0])-5] {
			t.Errorf("incident numbers %v: not 1..%d of one day", numbers, stories)
			break
		}
	}
}

// testNumbersWithoutWriteLock: incident numbers need no write lock, only
// their day's counter row: several stores on one database create
// incidents at once in InRowTx, a third of them rolled
// back after numbering, and the committed numbers run from 1 without a
// gap or a clash.
func testNumbersWithoutWriteLock(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var committed []string
	errRollback := errors.New("rolled back")
	for i := range 3 {
		s := open(t, e, addr)
		for w := range 3 {
			wg.Go(func() {
				for k := range 6 {
					inc := newIncident(t0)
					err := s.InRowTx(ctx, func(tx store.Tx) error {
						if err := tx.CreateIncident(ctx, &inc); err != nil || (i+w+k)%3 != 0 {
							return err
						}
						return errRollback
					})
					mu.Lock()
					switch {
					case err == nil:
						committed = append(committed, inc.Number)
					case !errors.Is(err, errRollback):
						t.Error(err)
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.Sort(committed)
	if len(committed) != 36 {
		t.Errorf("%d incidents committed, want 36", len(committed))
	}
	for i, n := range committed {
		if !strings.HasSuffix(n, fmt.Sprintf("-%04d", i+1)) {
			t.Fatalf("numbers %v: not 1..%d", committed, len(committed))
		}
	}
}

// testSavePostConcurrent: SavePost takes no write lock; several stores on
// one database saving the same URLs at once store each post once, and
// exactly one save of each says Created.
func testSavePostConcurrent(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	const urls, savers = 15, 6
	var mu sync.Mutex
	created, ids := map[string]int{}, map[string]map[int64]bool{}
	var wg sync.WaitGroup
	for i := range savers {
		s := open(t, e, addr)
		wg.Go(func() {
			for n := range urls {
				p := post(n)
				p.Replies = i // engagement moves: later saves update
				res, err := s.SavePost(ctx, p)
				mu.Lock()
				if err != nil {
					t.Error(err)
				} else {
					if res == store.Created {
						created[p.URL]++
					}
					if ids[p.URL] == nil {
						ids[p.URL] = map[int64]bool{}
					}
					ids[p.URL][p.ID] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for n := range urls {
		u := post(n).URL
		if created[u] != 1 || len(ids[u]) != 1 {
			t.Errorf("%s: created %d times, ids %v; want once, one id", u, created[u], ids[u])
		}
	}
	s := open(t, e, addr)
	if total, _, err := s.CountPosts(ctx); err != nil || total != urls {
		t.Errorf("%d posts stored (%v), want %d", total, err, urls)
	}
}

// testIncidentRowLocked: an incident read in a transaction stays locked
// until it ends (Tx.IncidentByID), so read-count-write updates from
// several stores at once, in InRowTx and InTx alike, lose none.
func testIncidentRowLocked(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	base := open(t, e, addr)
	inc := newIncident(t0)
	if err := base.InTx(ctx, func(tx store.Tx) error { return tx.CreateIncident(ctx, &inc) }); err != nil {
		t.Fatal(err)
	}
	const stores, workers, rounds = 3, 3, 8
	var wg sync.WaitGroup
	for i := range stores {
		s := open(t, e, addr)
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					in := s.InRowTx
					if (w+r)%3 == 0 {
						in = s.InTx // a staff step's transaction
					}
					err := in(ctx, func(tx store.Tx) error {
						cur, err := tx.IncidentByID(ctx, inc.ID)
						if err != nil {
							return err
						}
						cur.PostCount++
						return tx.UpdateIncident(ctx, cur)
					})
					if err != nil {
						t.Errorf("store %d: %v", i, err)
					}
				}
			})
		}
	}
	wg.Wait()
	d, err := base.IncidentDetail(ctx, inc.Number)
	if want := 1 + stores*workers*rounds; err != nil || d.Incident.PostCount != want {
		t.Errorf("post count %d, %v; want %d: updates were lost", d.Incident.PostCount, err, want)
	}
}

// testFilingBesideClose: a repost filed while staff close the incident it
// belongs to waits for the close (its incident's row) and, finding the
// incident closed, opens a new one instead of joining a closed incident.
func testFilingBesideClose(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	staff, grader := open(t, e, addr), open(t, e, addr)
	now := func() time.Time { return t0.Add(time.Minute) }
	svc := incident.New(grader, incident.DefaultPolicy(), now, nil)
	file := func(p *model.Post) incident.Outcome {
		var out incident.Outcome
		if err := grader.InRowTx(ctx, func(tx store.Tx) (err error) {
			out, err = svc.File(ctx, tx, *p, grade(p, 3))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := post(1), post(2)
	b.Title = a.Title // a repost: same title key
	mustSave(t, grader, a)
	mustSave(t, grader, b)
	first := file(a)
	if !first.Created {
		t.Fatalf("first post: %+v", first)
	}
	closing, release := make(chan struct{}), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // a failed check still lets the close end
	done := make(chan error, 1)
	go func() {
		done <- staff.InTx(ctx, func(tx store.Tx) error {
			inc, err := tx.IncidentByNumber(ctx, first.Incident.Number)
			if err != nil {
				return err
			}
			inc.Status, inc.ClosedAt = model.StatusClosed, now()
			if err := tx.UpdateIncident(ctx, inc); err != nil {
				return err
			}
			select {
			case <-closing: // a second run (a retried transaction)
			default:
				close(closing)
			}
			<-release
			return nil
		})
	}()
	<-closing
	filed := make(chan incident.Outcome, 1)
	go func() { filed <- file(b) }()
	select {
	case out := <-filed:
		t.Fatalf("the repost was filed (%+v) while the close of its incident was uncommitted", out)
	case <-time.After(300 * time.Millisecond):
	}
	releaseOnce()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := <-filed
	if !out.Created || out.Incident.Number == first.Incident.Number {
		t.Errorf("repost filed beside the close: %+v; want a new incident", out)
	}
	d, err := staff.IncidentDetail(ctx, first.Incident.Number)
	if err != nil || d.Incident.PostCount != 1 || d.Incident.Status != model.StatusClosed {
		t.Errorf("closed incident: %d posts, %s, %v; want 1 post, closed", d.Incident.PostCount, d.Incident.Status, err)
	}
}

// testDeadlockRunsAgain: two transactions on two stores that lock two
// incidents in opposite orders wait for each other in a cycle; the server
// aborts one (PostgreSQL) and the store runs it again, so both commit
// and neither update is lost. On SQLite the single writer orders them.
func testDeadlockRunsAgain(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	base := open(t, e, addr)
	a, b := newIncident(t0), newIncident(t0)
	if err := base.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateIncident(ctx, &a); err != nil {
			return err
		}
		return tx.CreateIncident(ctx, &b)
	}); err != nil {
		t.Fatal(err)
	}
	bump := func(tx store.Tx, id int64) error {
		inc, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		inc.PostCount++
		return tx.UpdateIncident(ctx, inc)
	}
	first := [2]chan struct{}{make(chan struct{}), make(chan struct{})} // each has locked its first incident
	var once [2]sync.Once
	var wg sync.WaitGroup
	for i, order := range [2][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
		s := open(t, e, addr)
		wg.Go(func() {
			err := s.InRowTx(ctx, func(tx store.Tx) error {
				if err := bump(tx, order[0]); err != nil {
					return err
				}
				once[i].Do(func() { close(first[i]) })
				select { // the other's first lock (a single writer never lets it come)
				case <-first[1-i]:
				case <-time.After(500 * time.Millisecond):
				}
				return bump(tx, order[1])
			})
			if err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, inc := range []model.Incident{a, b} {
		if d, err := base.IncidentDetail(ctx, inc.Number); err != nil || d.Incident.PostCount != 3 {
			t.Errorf("incident %s: %d posts, %v; want 3", inc.Number, d.Incident.PostCount, err)
		}
	}
}

// testStaffStepWaitsForFiling: a staff step that reads a post
// (Tx.PostByID, as attaching it by hand does) while a filing of that post
// is uncommitted waits for the filing and then sees where it was filed,
// instead of attaching it a second time.
func testStaffStepWaitsForFiling(t *testing.T, e Engine) {
	ctx := context.Background()
	addr := e.New(t)
	staff, grader := open(t, e, addr), open(t, e, addr)
	svc := incident.New(grader, incident.DefaultPolicy(), func() time.Time { return t0.Add(time.Minute) }, nil)
	p := post(1)
	mustSave(t, grader, p)
	filing, release := make(chan struct{}), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // a failed check still lets the filing end
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		done <- grader.InRowTx(ctx, func(tx store.Tx) error {
			if _, err := svc.File(ctx, tx, *p, grade(p, 3)); err != nil {
				return err
			}
			once.Do(func() { close(filing) })
			<-release
			return nil
		})
	}()
	<-filing
	seen := make(chan bool, 1)
	go func() {
		err := staff.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.PostByID(ctx, p.ID); err != nil {
				return err
			}
			_, filed, err := tx.IncidentOfPost(ctx, p.ID)
			seen <- filed
			return err
		})
		if err != nil {
			t.Error(err)
		}
	}()
	select {
	case filed := <-seen:
		t.Fatalf("the staff step read the post (filed: %v) while its filing was uncommitted", filed)
	case <-time.After(300 * time.Millisecond):
	}
	releaseOnce()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !<-seen {
		t.Error("after the filing committed, the staff step saw the post unfiled")
	}
}
