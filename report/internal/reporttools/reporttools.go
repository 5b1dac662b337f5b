// Package reporttools gives the report tests what they need beyond Go:
// the CJK font the chart images are drawn in, and LibreOffice and
// poppler's programs that check a document. Without them a test skips
// with a clear message, unless YUQING_REQUIRE_REPORT_TOOLS=1 (CI, after
// scripts/install-report-tools.sh) makes it fail.
package reporttools

import (
	"os"
	"os/exec"
	"testing"

	"github.com/yuqing-bureau/yuqing/report/chart"
)

// required says whether missing tools fail the test rather than skip it.
func required() bool { return os.Getenv("YUQING_REQUIRE_REPORT_TOOLS") == "1" }

func missing(t testing.TB, what string, err error) {
	t.Helper()
	if required() {
		t.Fatalf("YUQING_REQUIRE_REPORT_TOOLS=1 but %s: %v", what, err)
	}
	t.Skipf("%s (scripts/install-report-tools.sh installs it; YUQING_REQUIRE_REPORT_TOOLS=1 makes this fail): %v", what, err)
}

// Font is the CJK font found on the usual Debian paths.
func Font(t testing.TB) *chart.Font {
	t.Helper()
	f, err := chart.FindFont("")
	if err != nil {
		missing(t, "no CJK font for the chart images", err)
	}
	return f
}

// Programs checks that each of names is on PATH.
func Programs(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing(t, n+" is not installed", err)
		}
	}
}
