package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/cluster"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/crawler"
	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store/postgres"
)

// Status prints the instances on the configured database, which leads,
// and who holds each host's lease with the sources on that host (`yuqing
// status`). It opens the store read-only, beside running daemons.
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
	groups := hostSites(cfg)
	printInstances(out, cfg, instances, leases, groups, now, when)
	if cfg.Store.Driver != "postgres" {
		fmt.Fprintf(out, "网站租约：单实例不使用租约，全部 %d 个网站的 %d 个数据源由该实例采集\n", len(groups.hosts), len(cfg.Sources))
		return nil
	}
	printLeases(out, groups, leases, instances, now, when)
	return nil
}

// hostGroups are the configured sources grouped by host, the lease's unit.
type hostGroups struct {
	hosts   []string            // in configuration order
	sources map[string][]string // host → "title（name）" of its sources
}

func hostSites(cfg *config.Config) hostGroups {
	s := hostGroups{sources: map[string][]string{}}
	hosts := crawler.Hosts(cfg.Sources)
	for _, src := range cfg.Sources {
		h := hosts[src.Name]
		if _, ok := s.sources[h]; !ok {
			s.hosts = append(s.hosts, h)
		}
		s.sources[h] = append(s.sources[h], src.Title+"（"+src.Name+"）")
	}
	return s
}

// printInstances lists the instances, how many hosts (and sources) each
// holds, and the leader.
func printInstances(out io.Writer, cfg *config.Config, instances []model.Instance, leases []model.HostLease, s hostGroups, now time.Time, when func(time.Time) string) {
	ttl := cfg.Cluster.LeaseTTL
	hosts, sources := map[string]int{}, map[string]int{}
	for _, l := range leases {
		if l.Held(now) {
			hosts[l.Holder]++
			sources[l.Holder] += len(s.sources[l.Host])
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
			fmt.Fprintf(out, "  持有网站 %d 个（数据源 %d 个）", hosts[in.ID], sources[in.ID])
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

// printLeases lists each configured host's crawl lease, its holder and
// the sources on it, then leases still held on hosts no longer configured.
func printLeases(out io.Writer, s hostGroups, leases []model.HostLease, instances []model.Instance, now time.Time, when func(time.Time) string) {
	byHost := map[string]model.HostLease{}
	for _, l := range leases {
		byHost[l.Host] = l
	}
	holder := func(id string) string {
		for _, in := range instances {
			if in.ID == id {
				return fmt.Sprintf("实例 %s（主机 %s，监听 %s）", in.ID, in.Host, in.Listen)
			}
		}
		if cluster.Borrowed(id) {
			return id + "（不是登记的实例：yuqing crawl -store 的一次抓取）"
		}
		return "实例 " + id + "（已不在实例表中：失联，租约到期后由其他实例接手）"
	}
	n := 0
	for _, srcs := range s.sources {
		n += len(srcs)
	}
	fmt.Fprintf(out, "网站租约（%d 个网站，%d 个数据源；同一网站的数据源都由持有该网站租约的实例采集）：\n", len(s.hosts), n)
	for _, h := range s.hosts {
		l, ok := byHost[h]
		switch {
		case ok && l.Held(now):
			fmt.Fprintf(out, "  %s  %s  取得于 %s  到期 %s\n", h, holder(l.Holder), when(l.AcquiredAt), when(l.ExpiresAt))
		case ok && l.Holder != "":
			fmt.Fprintf(out, "  %s  %s 的租约已于 %s 到期，等待其他实例接手\n", h, holder(l.Holder), when(l.ExpiresAt))
		default:
			fmt.Fprintf(out, "  %s  无人持有，等待实例认领\n", h)
		}
		fmt.Fprintf(out, "    %s\n", strings.Join(s.sources[h], "、"))
	}
	for _, l := range leases {
		if _, ok := s.sources[l.Host]; !ok && l.Held(now) {
			fmt.Fprintf(out, "  %s（已不在配置中）  %s  到期 %s\n", l.Host, holder(l.Holder), when(l.ExpiresAt))
		}
	}
}

// seconds says d in whole seconds, in Chinese.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%d 秒", int(d.Round(time.Second)/time.Second))
}
