package sqlite

import (
	"testing"

	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func TestAuthContract(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) store.AuthStore {
		s := openTemp(t)
		t.Cleanup(func() { s.Close() })
		return s.(*Store)
	})
}
