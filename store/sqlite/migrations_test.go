package sqlite

import (
	"fmt"
	"io/fs"
	"testing"
)

// TestMigrationsAreContiguous guards the upgrade path: goose refuses to
// start a database that has applied a later version when an earlier one
// appears afterwards, so versions must run 1, 2, 3... with no gap or twin.
func TestMigrationsAreContiguous(t *testing.T) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, name := range names {
		var v int
		if _, err := fmt.Sscanf(name, "migrations/%05d_", &v); err != nil {
			t.Fatalf("%s: name is not NNNNN_what.sql: %v", name, err)
		}
		if v != i+1 {
			t.Errorf("%s has version %d, want %d (versions must be contiguous)", name, v, i+1)
		}
	}
}
