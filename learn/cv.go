package learn

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
)

// Folds assigns each id a fold in [0,k). Within each stratum ids are
// ordered by the SHA-256 of the id and dealt out in turn, the deal
// continuing from one stratum (in ascending order) to the next: every fold
// gets its share of every stratum, and the assignment depends only on the
// ids and strata, never on input order or machine.
func Folds(ids []string, strata []int, k int) ([]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("折数必须至少为 2，而不是 %d", k)
	}
	if len(ids) != len(strata) {
		return nil, fmt.Errorf("编号 %d 个，分层标签 %d 个，数量不符", len(ids), len(strata))
	}
	if len(ids) < k {
		return nil, fmt.Errorf("只有 %d 条样本，不够分成 %d 折", len(ids), k)
	}
	type row struct {
		i       int
		stratum int
		h       [sha256.Size]byte
	}
	rows := make([]row, len(ids))
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if seen[id] {
			return nil, fmt.Errorf("编号 %q 重复：同一条目会同时出现在训练和验证中", id)
		}
		seen[id] = true
		rows[i] = row{i: i, stratum: strata[i], h: sha256.Sum256([]byte(id))}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if a.stratum != b.stratum {
			return a.stratum - b.stratum
		}
		return bytes.Compare(a.h[:], b.h[:])
	})
	folds := make([]int, len(ids))
	for n, r := range rows {
		folds[r.i] = n % k
	}
	return folds, nil
}

// Stratum is the fold stratum of an example: 0 not relevant, else its
// level, so every fold holds its share of Ⅰ/Ⅱ posts.
func Stratum(ex *Example) int {
	if !ex.Relevant {
		return 0
	}
	return int(ex.Level)
}

// OutOfFold trains one model per fold on the other folds and returns each
// example's prediction by the model that did not see it. Vocabulary and
// weights come from the training folds only.
func OutOfFold(examples []Example, folds []int, k int, opts Options) ([]Prediction, error) {
	models, err := FoldModels(examples, folds, k, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Prediction, len(examples))
	for i := range examples {
		out[i] = models[folds[i]].Predict(&examples[i])
	}
	return out, nil
}

// FoldModels trains model f on the examples outside fold f, for every f
// in [0,k): the model that never saw an example of fold f grades it. An
// example of a negative fold is in every model's training set.
func FoldModels(examples []Example, folds []int, k int, opts Options) ([]*Model, error) {
	if len(folds) != len(examples) {
		return nil, errors.New("折号与样本数量不符")
	}
	models := make([]*Model, k)
	for f := 0; f < k; f++ {
		var train []Example
		for i := range examples {
			if folds[i] != f {
				train = append(train, examples[i])
			}
		}
		m, err := Train(train, opts)
		if err != nil {
			return nil, fmt.Errorf("第 %d 折: %w", f+1, err)
		}
		models[f] = m
	}
	return models, nil
}
