package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/report"
	"github.com/yuqing-bureau/yuqing/report/internal/reporttools"
)

// toolsIn returns a runner of external programs in dir (LibreOffice,
// poppler) that ends the test on failure and returns what the program
// printed; each program gets two minutes.
func toolsIn(t *testing.T, dir string) func(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		// Its own profile, so that a user's LibreOffice (or another test's) is not in the way.
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}

// office is soffice's arguments converting file in dir to the filter
// given, with a profile of its own in dir.
func office(dir, filter, file string) []string {
	return []string{"-env:UserInstallation=file://" + dir + "/profile", "--headless", "--convert-to", filter, "--outdir", dir, file}
}

// allSheetsCSV is LibreOffice's CSV export (comma, double quotes, UTF-8,
// cells as shown) of every sheet, each to <name>-<sheet>.csv.
const allSheetsCSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"

// TestXLSXInLibreOffice opens a week's workbook in LibreOffice Calc as an
// office would, and exports every sheet as shown: each sheet is there,
// under its Chinese name, with the table's headings and every cell's
// figure (counts exactly, shares and ratios to the places shown).
func TestXLSXInLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: LibreOffice takes seconds")
	}
	reporttools.Calc(t)
	rep := weekly()
	var b bytes.Buffer
	if err := report.Write(&b, rep, report.XLSX); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weekly.xlsx"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	toolsIn(t, dir)("soffice", office(dir, allSheetsCSV, "weekly.xlsx")...)
	for _, tb := range rep.Tables() {
		data, err := os.ReadFile(filepath.Join(dir, "weekly-"+tb.Name+".csv"))
		if err != nil {
			t.Errorf("LibreOffice exported no sheet %s: %v", tb.Name, err)
			continue
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		if len(rows) != len(tb.Rows)+1 || strings.Join(rows[0], ",") != strings.Join(tb.Columns, ",") {
			t.Errorf("%s: %d rows headed %q, want %d headed %q", tb.Name, len(rows), rows[0], len(tb.Rows)+1, tb.Columns)
			continue
		}
		for i, row := range tb.Rows {
			for j, c := range row {
				if got := rows[i+1][j]; !shownAs(got, c) {
					t.Errorf("%s row %d column %s: LibreOffice shows %q, the report has %q (%v)", tb.Name, i+1, tb.Columns[j], got, c.Text, c.Number)
				}
			}
		}
	}
}

// shownAs says whether got, a cell as LibreOffice shows it, is c: text
// and counts as written, a share as a percentage and a ratio as a
// decimal, each rounded to the two places the workbook's format shows.
func shownAs(got string, c report.Cell) bool {
	v, unit := c.Number, ""
	switch c.Kind {
	case report.IntCell:
		return got == strconv.Itoa(int(c.Number))
	case report.PercentCell:
		v, unit = 100*v, "%"
	case report.RatioCell:
	default:
		return got == c.Text
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(got, unit), 64)
	return err == nil && strings.HasSuffix(got, unit) && math.Abs(n-v) <= 0.005+1e-9
}
