package classifier

import (
	"os"
	"testing"
)

const (
	forumFile = "forum_posts_dev.jsonl"
	realFile  = "real_messages_dev.jsonl"
)

type floors struct{ f1, cat, majorR, majorP, elevR, elevP float64 }

// TestDevDataQuality holds the shipped rules to quality floors on the shared
// labeled data (skipped where the data is absent). The forum set and both
// files together must meet the product targets (F1 0.90, category 0.85,
// major R 0.95 / P 0.70, elevated R 0.80 / P 0.60). The real message-board
// set alone is long, noisy text: its floors are regression guards a little
// below the level reached (F1 0.94, category 0.81, major R 1.00 / P 1.00,
// elevated R 0.65 / P 0.77); raise them as the rules improve. The rules
// grade alone: the shipped model was trained on these very files, so
// figures with it would be in-sample (`yuqing eval -cv` judges it).
func TestDevDataQuality(t *testing.T) {
	e := shippedRulesOnly(t)
	for _, c := range []struct {
		files []string
		min   floors
	}{
		{[]string{forumFile}, floors{0.90, 0.85, 0.95, 0.70, 0.80, 0.60}},
		{[]string{realFile}, floors{0.92, 0.79, 0.80, 0.70, 0.60, 0.70}},
		{[]string{forumFile, realFile}, floors{0.90, 0.85, 0.95, 0.70, 0.80, 0.60}},
	} {
		items := devData(t, c.files...)
		rep := Evaluate(e, items)
		if testing.Verbose() {
			t.Logf("%v", c.files)
			rep.WriteTo(os.Stdout)
		}
		check := func(name string, got, want float64) {
			if got < want {
				t.Errorf("%v: %s = %.3f, want ≥ %.2f", c.files, name, got, want)
			}
		}
		check("relevance F1", rep.Relevance.F1, c.min.f1)
		check("category accuracy", rep.CategoryAccuracy, c.min.cat)
		check("major recall", rep.Major.Recall, c.min.majorR)
		check("major precision", rep.Major.Precision, c.min.majorP)
		check("elevated recall", rep.Elevated.Recall, c.min.elevR)
		check("elevated precision", rep.Elevated.Precision, c.min.elevP)
	}
}
