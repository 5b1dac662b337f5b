package sqlite

import (
	"testing"

	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func TestMigrationsAreContiguous(t *testing.T) {
	storetest.Migrations(t, migrations, "migrations")
}
