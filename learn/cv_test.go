package learn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFoldsStableAndStratified: the assignment of an id does not depend on
// input order, every stratum is spread evenly, and it matches the
// published deal (SHA-256 order within a stratum), so figures quoted
// anywhere were computed on the same folds.
func TestFoldsStableAndStratified(t *testing.T) {
	const k = 5
	var ids []string
	var strata []int
	for i := 0; i < 203; i++ {
		ids = append(ids, fmt.Sprintf("p%03d", i))
		strata = append(strata, []int{0, 0, 0, 4, 4, 3, 2, 1}[i%8])
	}
	folds, err := Folds(ids, strata, k)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for i, id := range ids {
		byID[id] = folds[i]
	}
	// Shuffled input, same assignment.
	perm := rand.New(rand.NewPCG(3, 4)).Perm(len(ids))
	sids, sstrata := make([]string, len(ids)), make([]int, len(ids))
	for i, j := range perm {
		sids[i], sstrata[i] = ids[j], strata[j]
	}
	sfolds, err := Folds(sids, sstrata, k)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range sids {
		if sfolds[i] != byID[id] {
			t.Fatalf("%s: fold %d after shuffling, %d before", id, sfolds[i], byID[id])
		}
	}
	// Each stratum: fold sizes differ by at most one.
	count := map[int][]int{}
	for i, s := range strata {
		if count[s] == nil {
			count[s] = make([]int, k)
		}
		count[s][folds[i]]++
	}
	for s, c := range count {
		lo, hi := c[0], c[0]
		for _, n := range c {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			t.Errorf("stratum %d unevenly spread: %v", s, c)
		}
	}
	// The published deal on a small case (SHA-256 order: c < b < a, dealt 0, 1, 0).
	got, err := Folds([]string{"a", "b", "c"}, []int{0, 0, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Folds(a,b,c) = %v, want %v", got, want)
	}
}

func TestFoldsRejectBadInput(t *testing.T) {
	for _, c := range []struct {
		ids    []string
		strata []int
		k      int
	}{
		{[]string{"a", "b", "a"}, []int{0, 0, 0}, 2}, // duplicate id
		{[]string{"a", "b"}, []int{0}, 2},            // lengths differ
		{[]string{"a", "b"}, []int{0, 0}, 1},         // k < 2
		{[]string{"a", "b"}, []int{0, 0}, 3},         // fewer rows than folds
	} {
		if _, err := Folds(c.ids, c.strata, c.k); err == nil {
			t.Errorf("Folds(%v, %v, %d) accepted", c.ids, c.strata, c.k)
		}
	}
}

// TestOutOfFoldUsesOtherFolds: out-of-fold predictions are good on a
// separable set, and each comes from a model that did not see the example:
// flipping fold 0's labels leaves fold 0's predictions exactly as they were.
func TestOutOfFoldUsesOtherFolds(t *testing.T) {
	exs := synthetic(90, 1)
	ids, strata := make([]string, len(exs)), make([]int, len(exs))
	for i := range exs {
		ids[i], strata[i] = exs[i].ID, Stratum(&exs[i])
	}
	folds, err := Folds(ids, strata, 3)
	if err != nil {
		t.Fatal(err)
	}
	preds, err := OutOfFold(exs, folds, 3, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i := range exs {
		if (preds[i].Relevance.Of(Relevant) >= 0.5) == exs[i].Relevant {
			right++
		}
	}
	if right < len(exs)*9/10 {
		t.Errorf("out of fold relevance right on %d of %d", right, len(exs))
	}
	// Flip the labels of fold 0 only: fold 0's own predictions, made by a
	// model trained on folds 1-2, must not follow the flip.
	flipped := append([]Example(nil), exs...)
	for i := range flipped {
		if folds[i] == 0 {
			flipped[i].Relevant = !flipped[i].Relevant
			if flipped[i].Relevant {
				flipped[i].Category, flipped[i].Level = "policy", 4
			}
		}
	}
	fp, err := OutOfFold(flipped, folds, 3, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i := range exs {
		if folds[i] == 0 && fp[i].Relevance.Of(Relevant) != preds[i].Relevance.Of(Relevant) {
			t.Errorf("%s: its own (flipped) label changed its out-of-fold prediction", exs[i].ID)
		}
		if folds[i] != 0 && fp[i].Relevance.Of(Relevant) == preds[i].Relevance.Of(Relevant) {
			t.Errorf("%s: trained on flipped labels yet predicted exactly as before", exs[i].ID)
		}
	}
}

// TestFoldModelsTrainOnNegativeFold: an example of fold -1 (eval -cv
// -train-only) is in every fold's training set: its word gets a weight in
// each model, where with its fold it would be missing from one.
func TestFoldModelsTrainOnNegativeFold(t *testing.T) {
	exs := synthetic(60, 1)
	folds := make([]int, len(exs))
	for i := range folds {
		folds[i] = i % 3
	}
	// Two examples (MinDF 2) carry a word no other example has.
	for _, i := range []int{0, 3} { // both in fold 0
		exs[i].Tokens = append(slices.Clone(exs[i].Tokens), "独有词")
	}
	has := func(m *Model) bool { // a weight for one relevance class or the other
		for _, class := range []string{Relevant, Irrelevant} {
			terms, err := m.TopTerms(HeadRelevance, class, -1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(terms, func(tw TermWeight) bool { return tw.Term == "独有词" }) {
				return true
			}
		}
		return false
	}
	models, err := FoldModels(exs, folds, 3, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if has(models[0]) || !has(models[1]) {
		t.Fatalf("fold 0's word: in model 0 %v (want false), in model 1 %v (want true)", has(models[0]), has(models[1]))
	}
	folds[0], folds[3] = -1, -1
	if models, err = FoldModels(exs, folds, 3, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	for f, m := range models {
		if !has(m) {
			t.Errorf("model %d did not train on the fold -1 examples", f)
		}
	}
}
