package cluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/model"
	"github.com/yuqing-bureau/yuqing/store"
)

// LeaseHeldError is Borrow's answer when another holder has the host's lease:
// the daemon (or other run) that crawls the host now.
type LeaseHeldError struct {
	Lease model.HostLease
	// Instance is the holder's row; nil when the holder is not a
	// registered instance (another yuqing crawl -store run).
	Instance *model.Instance
}

func (e *LeaseHeldError) Error() string {
	if e.Lease.Holder == "" {
		return fmt.Sprintf("网站 %s 正由一个实例认领租约，请稍后再试", e.Lease.Host)
	}
	if in := e.Instance; in != nil {
		return fmt.Sprintf("网站 %s 正由实例 %s（主机 %s，监听 %s）采集，租约到期 %s", e.Lease.Host, in.ID, in.Host, in.Listen,
			e.Lease.ExpiresAt.Format("2006-01-02 15:04:05"))
	}
	if Borrowed(e.Lease.Holder) {
		return fmt.Sprintf("网站 %s 正由另一次 yuqing crawl -store（%s）采集，租约到期 %s", e.Lease.Host, e.Lease.Holder, e.Lease.ExpiresAt.Format("2006-01-02 15:04:05"))
	}
	return fmt.Sprintf("网站 %s 的租约仍由已失联的实例 %s 持有，到期 %s 后由其他实例接手", e.Lease.Host, e.Lease.Holder, e.Lease.ExpiresAt.Format("2006-01-02 15:04:05"))
}

// borrowPrefix starts the holder of a borrowed lease (Borrow).
const borrowPrefix = "yuqing-crawl@"

// Borrowed reports whether a lease's holder is a Borrow (a `yuqing crawl
// -store` run) rather than an instance, registered or gone.
func Borrowed(holder string) bool { return strings.HasPrefix(holder, borrowPrefix) }

// errLost says a borrowed lease could not be renewed before it ran out.
var errLost = errors.New("网站租约续租失败，已停止抓取以免与接手的实例同时访问该网站")

// Borrow takes host's lease for one crawl outside the daemons (`yuqing
// crawl -store` on PostgreSQL), so that no instance crawls the host
// meanwhile, and renews it every third of ttl until release is called.
// The crawl runs on the context returned: it is cancelled (cause errLost)
// when the lease cannot be renewed before it runs out. A host another
// holder has (a running instance, as a rule) is refused with a
// *LeaseHeldError; its lease is not waited for.
func Borrow(ctx context.Context, st store.ClusterStore, host string, ttl time.Duration) (context.Context, func(), error) {
	name, _ := os.Hostname()
	holder := fmt.Sprintf("%s%s/%d/%s", borrowPrefix, name, os.Getpid(), rand.Text()[:6])
	claim := func() (time.Time, bool, error) {
		ls, err := st.ClaimLeases(ctx, store.LeaseClaim{Holder: holder, Hosts: []string{host}, Max: 1, Now: time.Now(), TTL: ttl})
		if err != nil || len(ls) == 0 {
			return time.Time{}, false, err
		}
		return ls[0].ExpiresAt, true, nil
	}
	until, ok, err := claim()
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, heldBy(ctx, st, host)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
			}
			u, ok, err := claim()
			switch {
			case ok:
				until = u
			case err == nil || time.Now().Add(ttl/3).After(until):
				// Taken over, or it would run out before the next try.
				cancel(errLost)
				return
			}
		}
	}()
	release := func() {
		cancel(nil)
		<-done
		rctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer stop()
		_ = st.ReleaseLeases(rctx, holder) // else it lapses within ttl
	}
	return lctx, release, nil
}

// heldBy describes who holds host's lease.
func heldBy(ctx context.Context, st store.ClusterStore, host string) error {
	leases, err := st.Leases(ctx)
	if err != nil {
		return err
	}
	e := &LeaseHeldError{Lease: model.HostLease{Host: host}}
	for _, l := range leases {
		if l.Host == host && l.Held(time.Now()) {
			e.Lease = l
		}
	}
	if e.Lease.Holder == "" {
		return e
	}
	ins, err := st.Instances(ctx)
	if err != nil {
		return err
	}
	for i := range ins {
		if ins[i].ID == e.Lease.Holder {
			e.Instance = &ins[i]
		}
	}
	return e
}
