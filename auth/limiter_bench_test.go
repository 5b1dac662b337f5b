package auth_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/postgres"
	"github.com/yuqing-bureau/yuqing/store/postgres/pgtest"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

// BenchmarkLimiterAttempt measures what the shared limiter adds to one
// login attempt: Reserve (lock the three keys, read them, hold) and Fail
// (record the failure), on each engine; every attempt is for another
// account from another address, so none is limited and the tables grow
// as under a spraying attack.
func BenchmarkLimiterAttempt(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, st store.AuthStore) {
		l := auth.NewLimiter(st, auth.DefaultLimits, nil)
		i := 0
		for b.Loop() {
			res, ref, err := l.Reserve(ctx, fmt.Sprintf("user%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			if err != nil || ref != nil {
				b.Fatalf("attempt %d: %v %+v", i, err, ref)
			}
			if err := res.Fail(); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "a.db"), time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		run(b, st)
	})
	b.Run("postgres", func(b *testing.B) {
		st, err := postgres.Open(ctx, pgtest.Schema(b), time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		run(b, st)
	})
}
