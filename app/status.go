package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store/postgres"
)

// Status prints the instances on the configured database, which leads,
// and who holds each source's lease (`yuqing status`). It opens the store
// read-only, beside running daemons.
func Status(ctx context.Context, configFile string, out io.Writer, now time.Time) error {
	cfg, err := config.Load(configFile)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	instances, err := st.Instances(ctx)
	if err != nil {
		return err
	}
	leases, err := st.Leases(ctx)
	if err != nil {
		return err
	}
	when := func(t time.Time) string { return t.In(cfg.Location).Format("2006-01-02 15:04:05") }
	if cfg.Store.Driver == "postgres" {
		fmt.Fprintf(out, "数据库 %s（PostgreSQL，可运行多个实例）\n", postgres.DescribeDSN(cfg.Store.DSN))
	} else {
		fmt.Fprintf(out, "数据库 %s（SQLite，只运行一个实例）\n", cfg.Store.Path)
		if err := cluster.CheckGuard(cfg.Store.Path); err != nil {
			fmt.Fprintf(out, "  实例锁已被占用：有守护进程在运行\n")
		} else {
			fmt.Fprintf(out, "  实例锁空闲：没有守护进程在运行\n")
		}
	}
	printInstances(out, cfg, instances, leases, now, when)
	if cfg.Store.Driver != "postgres" {
		fmt.Fprintf(out, "数据源租约：单实例不使用租约，全部 %d 个数据源由该实例采集\n", len(cfg.Sources))
		return nil
	}
	printLeases(out, cfg, leases, now, when)
	return nil
}

// printInstances lists the instances, how many sources each holds, and
// the leader.
func printInstances(out io.Writer, cfg *config.Config, instances []model.Instance, leases []model.SourceLease, now time.Time, when func(time.Time) string) {
	ttl := cfg.Cluster.LeaseTTL
	held := map[string]int{}
	for _, l := range leases {
		if l.Held(now) {
			held[l.Holder]++
		}
	}
	var leader *model.Instance
	fmt.Fprintf(out, "实例 %d 个（心跳超过 %s未更新视为失联）：\n", len(instances), seconds(ttl))
	for i, in := range instances {
		state := "运行中"
		switch {
		case !in.Alive(now, ttl):
			state = "失联"
		case !in.LeaderSince.IsZero():
			state = "主实例"
			leader = &instances[i]
		}
		fmt.Fprintf(out, "  %s  %s  主机 %s  进程 %d  监听 %s  版本 %s  启动于 %s  心跳 %s前",
			in.ID, state, in.Host, in.PID, in.Listen, in.Version, when(in.StartedAt), seconds(now.Sub(in.HeartbeatAt)))
		if cfg.Store.Driver == "postgres" {
			fmt.Fprintf(out, "  持有数据源 %d 个", held[in.ID])
		}
		fmt.Fprintln(out)
	}
	switch {
	case leader != nil:
		fmt.Fprintf(out, "主实例：%s（%s 起）\n", leader.ID, when(leader.LeaderSince))
	case len(instances) > 0:
		fmt.Fprintf(out, "主实例：无（正在选举，或主实例失联后尚未接任）\n")
	default:
		fmt.Fprintf(out, "主实例：无（没有实例在运行）\n")
	}
}

// printLeases lists each source's crawl lease and its holder.
func printLeases(out io.Writer, cfg *config.Config, leases []model.SourceLease, now time.Time, when func(time.Time) string) {
	catalog := sourceCatalog(func() *config.Config { return cfg })
	fmt.Fprintf(out, "数据源租约（%d 个）：\n", len(leases))
	for _, l := range leases {
		title := l.Source
		if src, ok := catalog.source(l.Source); ok {
			title = src.Title + "（" + l.Source + "）"
		}
		switch {
		case l.Held(now):
			fmt.Fprintf(out, "  %s  实例 %s  取得于 %s  到期 %s\n", title, l.Holder, when(l.AcquiredAt), when(l.ExpiresAt))
		case l.Holder != "":
			fmt.Fprintf(out, "  %s  实例 %s 的租约已于 %s 到期，等待其他实例接手\n", title, l.Holder, when(l.ExpiresAt))
		default:
			fmt.Fprintf(out, "  %s  无人持有\n", title)
		}
	}
}

// seconds says d in whole seconds, in Chinese.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%d 秒", int(d.Round(time.Second)/time.Second))
}
