package incident

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

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
