package classifier

import (
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

const (
	shippedRules = "../configs/rules.yaml"
	shippedDict  = "../configs/dict"
	devDataDir   = "../../shared/data"
)

// The gse dictionary takes ~2 s and ~130 MB to load: load the shipped rules
// once per test binary.
var (
	shippedOnce sync.Once
	shippedEng  *Engine
	shippedErr  error
)

func shipped(t testing.TB) *Engine {
	t.Helper()
	shippedOnce.Do(func() { shippedEng, shippedErr = Load(shippedRules, shippedDict, nil) })
	if shippedErr != nil {
		t.Fatalf("加载内置规则失败: %v", shippedErr)
	}
	return shippedEng
}

var (
	rulesOnlyOnce sync.Once
	rulesOnlyEng  *Engine
	rulesOnlyErr  error
)

// shippedRulesOnly is the shipped rules without the model they name.
func shippedRulesOnly(t testing.TB) *Engine {
	t.Helper()
	rulesOnlyOnce.Do(func() { rulesOnlyEng, rulesOnlyErr = LoadRules(shippedRules, shippedDict, nil) })
	if rulesOnlyErr != nil {
		t.Fatalf("加载内置规则失败: %v", rulesOnlyErr)
	}
	return rulesOnlyEng
}

// devData reads the shared labeled files, skipping when they are absent.
func devData(t testing.TB, names ...string) []Labeled {
	t.Helper()
	var all []Labeled
	for _, n := range names {
		f, err := os.Open(filepath.Join(devDataDir, n))
		if os.IsNotExist(err) {
			t.Skipf("dev data %s not present", n)
		}
		if err != nil {
			t.Fatal(err)
		}
		items, err := ReadLabeled(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		all = append(all, items...)
	}
	return all
}
