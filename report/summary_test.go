package report

import "testing"

// TestChange: 环比 as a summary says it, with the rounding Percent does.
func TestChange(t *testing.T) {
	for _, c := range []struct {
		n, prev int
		want    string
	}{
		{161, 140, "，环比增长15%"},
		{2, 3, "，环比下降33.3%"},
		{5, 5, "，与上期持平"},
		{0, 0, "，与上期持平"},
		{4, 0, "（上期为0）"},
		{0, 7, "，环比下降100%"},
		{1001, 1000, "，环比增长0.1%"},
	} {
		if got := change(c.n, c.prev); got != c.want {
			t.Errorf("change(%d, %d) = %q, want %q", c.n, c.prev, got, c.want)
		}
	}
}
