package sqlite

import (
	"testing"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func TestReportContract(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) store.ReportStore {
		s := openTemp(t)
		t.Cleanup(func() { s.Close() })
		return s.(*Store)
	})
}
