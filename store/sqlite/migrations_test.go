package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/yuqing-bureau/yuqing/store/storetest"
)

func TestMigrationsAreContiguous(t *testing.T) {
	storetest.Migrations(t, migrations, "migrations")
}

// migrateDown migrates the closed database at path down to version.
func migrateDown(ctx context.Context, path string, version int64) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
