// Package reporttools gives the report tests what they need beyond Go:
// the CJK font the chart images are drawn in, and LibreOffice (Writer and Calc)
// and poppler's programs that check a document (and a document unzipped). Without them a test skips
// with a clear message, unless YUQING_REQUIRE_REPORT_TOOLS=1 (CI, after
// scripts/install-report-tools.sh) makes it fail.
package reporttools

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

// Calc checks that LibreOffice can open a workbook: soffice is on PATH
// and its Calc component (libreoffice-calc-nogui) is installed beside
// it; without Calc, soffice says only that the file "could not be
// loaded".
func Calc(t testing.TB) {
	t.Helper()
	Programs(t, "soffice")
	bin, _ := exec.LookPath("soffice")
	bin, err := filepath.EvalSymlinks(bin)
	if err == nil {
		_, err = os.Stat(filepath.Join(filepath.Dir(bin), "libsclo.so"))
	}
	if err != nil {
		missing(t, "LibreOffice Calc is not installed", err)
	}
}

// Unzip reads every file of a zip archive (a .docx), in order.
func Unzip(t testing.TB, b []byte) ([]string, map[string][]byte) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	files := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}
