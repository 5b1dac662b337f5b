package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuqing-bureau/yuqing/auth"
	"github.com/yuqing-bureau/yuqing/store"
	"github.com/yuqing-bureau/yuqing/store/sqlite"
)

func TestUserAndTokenCommands(t *testing.T) {
	dir := layout(t)
	cfg := filepath.Join(dir, "yuqing.yaml")
	cmd := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := cmd("王科员的密码真的很长啊\n", "user", "add", "-config", cfg, "-name", "Wang", "-display", "王科员", "-role", "handler", "-password-stdin")
	if code != 0 || !strings.Contains(out, "已创建账号 wang（经办人）") || strings.Contains(out, "密码") {
		t.Fatalf("user add: %d\n%s%s", code, out, errs)
	}
	if code, _, errs := cmd("", "user", "add", "-config", cfg, "-name", "wang", "-role", "viewer"); code != 1 || !strings.Contains(errs, "已存在") {
		t.Errorf("duplicate user: %d %s", code, errs)
	}
	if code, _, errs := cmd("", "user", "add", "-config", cfg, "-name", "li", "-role", "boss"); code != 1 || !strings.Contains(errs, "未知角色") {
		t.Errorf("bad role: %d %s", code, errs)
	}
	if code, _, _ := cmd("", "user", "add", "-config", cfg, "-name", "li"); code != 2 {
		t.Errorf("missing role: %d", code)
	}
	// Without -password-stdin a random password is generated and shown.
	code, out, _ = cmd("", "user", "add", "-config", cfg, "-name", "li", "-role", "viewer")
	m := regexp.MustCompile(`初始密码：(\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("generated password: %d %s", code, out)
	}
	if code, out, errs := cmd("新的密码同样也足够长了\n", "user", "passwd", "-config", cfg, "-name", "wang", "-password-stdin"); code != 0 || !strings.Contains(out, "已修改 wang 的密码") {
		t.Errorf("passwd: %d %s %s", code, out, errs)
	}
	code, out, errs = cmd("", "token", "add", "-config", cfg, "-user", "wang", "-name", "告警联动", "-ttl", "720h")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "yq_") {
		t.Fatalf("token add: %d %s %s", code, out, errs)
	}
	token := lines[len(lines)-1]

	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "..", "data", "yuqing.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := auth.New(auth.Options{Store: st})
	ctx := context.Background()
	if _, _, err := a.Login(ctx, "wang", "新的密码同样也足够长了", "127.0.0.1", ""); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if _, _, err := a.Login(ctx, "li", m[1], "127.0.0.1", ""); err != nil {
		t.Errorf("login with the generated password: %v", err)
	}
	if p, err := a.Token(ctx, token); err != nil || p.User.Name != "wang" || p.Role != auth.RoleHandler {
		t.Errorf("token: %+v %v", p, err)
	}
	log, _ := st.AuditLog(ctx, store.AuditFilter{Actor: "cli"})
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "token.add user.passwd user.add user.add" {
		t.Errorf("audit rows by the command line: %v", actions)
	}
}

// TestUserOfficeCommand: `user office NAME OFFICE` sets an account's office
// to one of the configured offices (audited, sessions kept), refuses an
// office not configured, and "" clears it.
func TestUserOfficeCommand(t *testing.T) {
	dir := layout(t)
	cfg := filepath.Join(dir, "yuqing.yaml")
	cmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader("王科员的密码真的很长啊\n"), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cmd("user", "add", "-config", cfg, "-name", "wang", "-role", "handler", "-password-stdin"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, out, errs := cmd("user", "office", "-config", cfg, "wang", "宣传科"); code != 0 || !strings.Contains(out, "已将 wang 的科室设为 宣传科") {
		t.Errorf("user office: %d %s %s", code, out, errs)
	}
	if code, _, errs := cmd("user", "office", "-config", cfg, "wang", "财务科"); code != 1 || !strings.Contains(errs, "不在配置的承办科室") {
		t.Errorf("unknown office: %d %s", code, errs)
	}
	if code, _, _ := cmd("user", "office", "-config", cfg, "wang"); code != 2 {
		t.Errorf("missing office: %d, want 2", code)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "..", "data", "yuqing.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(context.Background(), "wang")
	if err != nil || u.Office != "宣传科" {
		t.Errorf("office after the commands: %q, %v; want 宣传科", u.Office, err)
	}
	st.Close()
	if code, out, errs := cmd("user", "office", "-config", cfg, "wang", ""); code != 0 || !strings.Contains(out, "已清除 wang 的科室") {
		t.Errorf("clear office: %d %s %s", code, out, errs)
	}
}
