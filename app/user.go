package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/store"
)

// newAuth builds the account service the console uses.
func newAuth(st store.AuthStore, cfg *config.Config, log *slog.Logger, now func() time.Time) *auth.Service {
	return auth.New(auth.Options{Store: st, Logger: log.With("component", "auth"), Now: now,
		SessionLifetime: cfg.Console.SessionLifetime, IdleTimeout: cfg.Console.IdleTimeout})
}

// sweepSessions removes expired sessions and failed logins that no
// longer count every hour until ctx ends.
func sweepSessions(ctx context.Context, a *auth.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.CleanSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("清理过期会话失败", "err", err)
		} else if n > 0 {
			log.Info("已清理过期会话", "count", n)
		}
		if n, err := a.CleanLogins(ctx); err != nil && ctx.Err() == nil {
			log.Warn("清理登录失败记录失败", "err", err)
		} else if n > 0 {
			log.Info("已清理过期的登录失败记录", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EnsureAccount creates the account, or resets its password, role and
// enabled state when it exists (the demo account on every start).
func EnsureAccount(ctx context.Context, a *auth.Service, by auth.Actor, name, display string, role auth.Role, pw string) error {
	_, err := a.Store().UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, err = a.AddUser(ctx, by, name, display, role, pw)
		return err
	}
	if err != nil {
		return err
	}
	if err := a.SetPassword(ctx, by, name, pw); err != nil {
		return err
	}
	if err := a.SetRole(ctx, by, name, role); err != nil {
		return err
	}
	return a.SetDisabled(ctx, by, name, false)
}

// demoAccount makes the demo's admin account with a fresh password and
// prints how to log in.
func demoAccount(out io.Writer) func(ctx context.Context, a *auth.Service) error {
	return func(ctx context.Context, a *auth.Service) error {
		pw := auth.GeneratePassword()
		if err := EnsureAccount(ctx, a, auth.Actor{Name: "demo"}, "demo", "演示管理员", auth.RoleAdmin, pw); err != nil {
			return fmt.Errorf("创建演示账号: %w", err)
		}
		fmt.Fprintf(out, "\n演示管理员账号（每次启动演示重新生成密码）：\n  用户名 demo\n  密码   %s\n", pw)
		return nil
	}
}

// UserOptions configure `yuqing user add|passwd` and `yuqing token add`.
type UserOptions struct {
	ConfigFile string
	Name       string
	Display    string
	Role       string
	// PasswordFrom, when set, supplies the password (first line); otherwise
	// a random one is generated and printed.
	PasswordFrom io.Reader
	// Office is the account's office (`user office`); "" clears it.
	Office string
	// TokenName and TokenTTL describe a new API token.
	TokenName string
	TokenTTL  time.Duration
	Out       io.Writer
	Logger    *slog.Logger
}

func (o *UserOptions) open(ctx context.Context) (*auth.Service, func(), error) {
	a, _, done, err := o.openConfig(ctx)
	return a, done, err
}

// openConfig is open with the configuration it loaded.
func (o *UserOptions) openConfig(ctx context.Context) (*auth.Service, *config.Config, func(), error) {
	cfg, err := config.Load(o.ConfigFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("加载配置: %w", err)
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return nil, nil, nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return newAuth(st, cfg, o.Logger, time.Now), cfg, func() { st.Close() }, nil
}

func (o *UserOptions) password() (string, bool, error) {
	if o.PasswordFrom == nil {
		return auth.GeneratePassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(o.PasswordFrom, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("读取密码: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// cliActor is how command-line changes appear in the audit log.
func cliActor() auth.Actor { return auth.Actor{Name: "cli", IP: "本机命令行"} }

// UserAdd creates a console account.
func UserAdd(ctx context.Context, o UserOptions) error {
	role, err := auth.ParseRole(o.Role)
	if err != nil {
		return err
	}
	pw, generated, err := o.password()
	if err != nil {
		return err
	}
	a, done, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	u, err := a.AddUser(ctx, cliActor(), o.Name, o.Display, role, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "已创建账号 %s（%s）\n", u.Name, role.Name())
	if generated {
		fmt.Fprintf(o.Out, "初始密码：%s\n请通过安全渠道告知本人。\n", pw)
	}
	return nil
}

// UserPasswd sets a new password and ends the account's sessions.
func UserPasswd(ctx context.Context, o UserOptions) error {
	pw, generated, err := o.password()
	if err != nil {
		return err
	}
	a, done, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := a.SetPassword(ctx, cliActor(), o.Name, pw); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "已修改 %s 的密码，原有登录均已失效\n", o.Name)
	if generated {
		fmt.Fprintf(o.Out, "新密码：%s\n", pw)
	}
	return nil
}

// UserOffice sets the office (科室) an account works in, one of the
// configured offices, or clears it: its 我的科室 on the incident list.
func UserOffice(ctx context.Context, o UserOptions) error {
	a, cfg, done, err := o.openConfig(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := a.SetOffice(ctx, cliActor(), o.Name, o.Office, cfg.Offices); err != nil {
		return err
	}
	if strings.TrimSpace(o.Office) == "" {
		fmt.Fprintf(o.Out, "已清除 %s 的科室\n", o.Name)
	} else {
		fmt.Fprintf(o.Out, "已将 %s 的科室设为 %s（事件列表中“我的科室”列出分派给该科室的事件）\n", o.Name, strings.TrimSpace(o.Office))
	}
	return nil
}

// TokenAdd creates an API token and prints it once.
func TokenAdd(ctx context.Context, o UserOptions) error {
	a, done, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	plain, t, err := a.AddToken(ctx, cliActor(), o.Name, o.TokenName, o.TokenTTL)
	if err != nil {
		return err
	}
	exp := "永不过期"
	if !t.ExpiresAt.IsZero() {
		exp = t.ExpiresAt.Format("2006-01-02 15:04") + " 过期"
	}
	fmt.Fprintf(o.Out, "已为 %s 创建 API 令牌 #%d（%s）。令牌只显示这一次，请妥善保存：\n%s\n", o.Name, t.ID, exp, plain)
	return nil
}
