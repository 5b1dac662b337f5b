package app

import (
	"context"
	"fmt"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// openStore opens the configured database, applying pending migrations;
// readOnly opens it for reading only: no migration, no write (tools beside
// a running daemon).
func openStore(ctx context.Context, cfg *config.Config, readOnly bool) (store.Database, error) {
	switch {
	case cfg.Store.Driver == "sqlite" && readOnly:
		return sqlite.OpenReadOnly(ctx, cfg.Store.Path, cfg.Location)
	case cfg.Store.Driver == "sqlite":
		return sqlite.Open(ctx, cfg.Store.Path, cfg.Location)
	case cfg.Store.Driver == "postgres" && readOnly:
		return postgres.OpenReadOnly(ctx, cfg.Store.DSN, cfg.Location)
	case cfg.Store.Driver == "postgres":
		return postgres.Open(ctx, cfg.Store.DSN, cfg.Location)
	}
	return nil, fmt.Errorf("未知存储类型 %q", cfg.Store.Driver)
}
