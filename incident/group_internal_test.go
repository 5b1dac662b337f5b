package incident

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// meets reports whether the keys a post is looked up by and the keys a
// stored post is indexed under share one: whether the lookup finds it.
func meets(lookup, index []string) bool {
	for _, k := range lookup {
		if slices.Contains(index, k) {
			return true
		}
	}
	return false
}

func (s *Service) bandKeys(fp store.Fingerprint) []string { return s.candidateQuery(fp).Bands }
func (s *Service) nameKeys(fp store.Fingerprint) []string { return s.candidateQuery(fp).Names }

// TestLookupFindsEveryNearDuplicate: whatever the configured distance (0
// to 16, what config allows), a stored SimHash within it is found by the
// band lookup, including differences spread over all bands; with the
// default distance the lookup is four exact bands.
func TestLookupFindsEveryNearDuplicate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{0, 1, 3, 4, 7, 8, 11, 12, 16} {
		p := DefaultPolicy()
		p.SimHashDistance, p.EventWindow = d, 0
		s := New(nil, p, nil, nil)
		for range 200 {
			h := rng.Uint64() | 1
			look := s.bandKeys(store.Fingerprint{SimHash: h})
			if d < simHashBands && len(look) != simHashBands {
				t.Fatalf("distance %d: %d lookup keys, want %d exact bands", d, len(look), simHashBands)
			}
			// A random difference of each size up to d, and one spread as
			// evenly as possible over the four bands.
			var masks []uint64
			for k := 0; k <= d; k++ {
				var m uint64
				for bits.OnesCount64(m) < k {
					m |= 1 << rng.IntN(64)
				}
				masks = append(masks, m)
			}
			even := uint64(1)<<d - 1 // bits 0..d-1 lie in the bands in turn
			masks = append(masks, even)
			for _, m := range masks {
				c := h ^ m
				if c == 0 || Distance(h, c) > d {
					continue
				}
				if !meets(look, IndexKeys(store.Fingerprint{SimHash: c})) {
					t.Fatalf("distance %d: %016x not found from %016x (%d bits apart)", d, c, h, Distance(h, c))
				}
			}
		}
	}
	// A SimHash of 0 (a short post) is never indexed nor looked up.
	s := New(nil, DefaultPolicy(), nil, nil)
	if k := IndexKeys(store.Fingerprint{}); len(k) != 0 {
		t.Errorf("SimHash 0 indexed under %q", k)
	}
	if q := s.candidateQuery(store.Fingerprint{}); !q.Empty() {
		t.Errorf("SimHash 0 looked up by %+v", q)
	}
}

// TestLookupFindsExactlyTheSameEntities: the name keys of two posts meet
// exactly when sameEntity says their names denote the same place, so the
// lookup neither misses a same-event post nor reads posts about another
// hospital with the same kind of name.
func TestLookupFindsExactlyTheSameEntities(t *testing.T) {
	names := []string{"鹤汀市安泰康复医院", "安泰康复医院", "仁爱康复医院", "康复医院", "泰康复医院", "石屋村", "东石屋村",
		"城关镇卫生院", "城关镇", "岚川市康福医院", "康福医院", "枫源市肿瘤医院", "澄溪县肿瘤医院", "东湖社区", "西东湖社区"}
	s := New(nil, DefaultPolicy(), nil, nil)
	for _, a := range names {
		look := s.nameKeys(store.Fingerprint{Entities: []string{a}})
		for _, b := range names {
			if got, want := meets(look, IndexKeys(store.Fingerprint{Entities: []string{b}})), sameEntity(a, b); got != want {
				t.Errorf("%s looked up, %s stored: found %v, sameEntity %v", a, b, got, want)
			}
		}
	}
	p := DefaultPolicy()
	p.EventWindow = 0 // no same-event grouping: names are not looked up
	if k := New(nil, p, nil, nil).nameKeys(store.Fingerprint{Entities: names}); len(k) != 0 {
		t.Errorf("names looked up without an event window: %q", k)
	}
}

// TestGroupingKeysMeetForEveryMatch: two posts that can group share a key
// both their filings lock (groupingKeys), so that filings of related posts
// on two instances wait for each other: near-duplicates by SimHash and
// posts naming the same institution, each pair with different titles and
// texts (no shared content hash or title key). Unrelated posts share none:
// their filings do not wait.
func TestGroupingKeysMeetForEveryMatch(t *testing.T) {
	s := New(nil, DefaultPolicy(), nil, nil)
	n := 0
	lock := func(fp store.Fingerprint) []string {
		n++
		fp.Keys = IndexKeys(fp)
		p := model.Post{Title: fmt.Sprintf("第%d个标题各不相同的帖子", n), Body: fmt.Sprintf("正文各不相同 %d", n)}
		return groupingKeys(p, fp, s.candidateQuery(fp))
	}
	shares := func(a, b []string) bool { return meets(a, b) }
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		h := rng.Uint64() | 1
		var m uint64
		for bits.OnesCount64(m) < rng.IntN(s.policy.SimHashDistance+1) {
			m |= 1 << rng.IntN(64)
		}
		if a, b := lock(store.Fingerprint{SimHash: h}), lock(store.Fingerprint{SimHash: h ^ m}); !shares(a, b) {
			t.Fatalf("near-duplicates %016x and %016x lock no common key", h, h^m)
		}
	}
	for _, pair := range [][2]string{{"康福医院", "岚川市康福医院"}, {"岚川市康福医院", "康福医院"}, {"岚川市医疗保障局", "岚川市医疗保障局"}} {
		a := lock(store.Fingerprint{Entities: []string{pair[0]}, Terms: []string{"挂床", "骗保"}})
		b := lock(store.Fingerprint{Entities: []string{"清河村", pair[1]}, Terms: []string{"挂床", "骗保"}})
		if !shares(a, b) {
			t.Errorf("posts naming %s and %s lock no common key", pair[0], pair[1])
		}
	}
	a := lock(store.Fingerprint{SimHash: 0x0123_4567_89ab_cdef, Entities: []string{"康福医院"}})
	b := lock(store.Fingerprint{SimHash: ^uint64(0x0123_4567_89ab_cdef), Entities: []string{"人民医院"}})
	if shares(a, b) {
		t.Errorf("unrelated posts lock a common key: %v / %v", a, b)
	}
}
