package delivery

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuqing-bureau/yuqing/internal/yamlfile"
)

// Config is the delivery section of yuqing.yaml.
type Config struct {
	Retry     Retry            `yaml:"retry"`
	Receivers []ReceiverConfig `yaml:"receivers"`
}

// ReceiverConfig is one named receiver: a WeCom robot or a mailbox list.
// A disabled one is checked for form only (its key file may not exist
// yet), so the shipped placeholders load.
type ReceiverConfig struct {
	Name string `yaml:"name"`
	// Title is what staff read (宣传科工作群); empty: the kind of receiver.
	Title   string       `yaml:"title"`
	Enabled bool         `yaml:"enabled"`
	WeCom   *WeComConfig `yaml:"wecom"`
	Email   *EmailConfig `yaml:"email"`
}

// WeComConfig is a group robot: the key= part of its webhook address,
// written here or, better, in a file only the daemon reads.
type WeComConfig struct {
	APIURL  string `yaml:"api_url"`
	Key     string `yaml:"key"`
	KeyFile string `yaml:"key_file"`
	key     string // Key, or KeyFile's content once loaded
}

// EmailConfig is an SMTP server and the recipients of the messages.
type EmailConfig struct {
	Smarthost    string   `yaml:"smarthost"`
	Hello        string   `yaml:"hello"`
	From         string   `yaml:"from"`
	To           []string `yaml:"to"`
	Username     string   `yaml:"username"`
	Password     string   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	// RequireTLS refuses a server without STARTTLS (default true).
	RequireTLS *bool `yaml:"require_tls"`
	// CAFile holds the CA certificates (PEM) of a server whose
	// certificate the system does not trust (an internal CA).
	CAFile   string `yaml:"ca_file"`
	password string
	roots    *x509.CertPool
}

// Kinds of receiver, as yuqing check names them.
const (
	KindWeCom = "wecom"
	KindEmail = "email"
)

// Kind is KindWeCom or KindEmail ("" when neither block is written).
func (r *ReceiverConfig) Kind() string {
	switch {
	case r.WeCom != nil:
		return KindWeCom
	case r.Email != nil:
		return KindEmail
	}
	return ""
}

// Describe says in Chinese what the receiver is, for yuqing check.
func (r *ReceiverConfig) Describe() string {
	switch {
	case r.WeCom != nil:
		return "企业微信群机器人"
	case r.Email != nil:
		return fmt.Sprintf("邮件，经 %s 发给 %d 个收件人", r.Email.Smarthost, len(r.Email.To))
	}
	return "类型未写明"
}

// TitleOf is what staff read for the receiver named name: its title, or
// the kind of receiver it is.
func (c *Config) TitleOf(name string) string {
	r, ok := c.Lookup(name)
	switch {
	case !ok:
		return "已从配置中删除的接收方"
	case r.Title != "":
		return r.Title
	case r.WeCom != nil:
		return "企业微信群机器人"
	case r.Email != nil:
		return "邮件"
	}
	return "接收方"
}

// Default is the section when yuqing.yaml has none: no receivers.
func Default() Config { return Config{Retry: DefaultRetry} }

// ResolvePaths makes relative key, password and CA files relative to dir
// (the configuration file's directory).
func (c *Config) ResolvePaths(dir string) {
	for i := range c.Receivers {
		r := &c.Receivers[i]
		var paths []*string
		if r.WeCom != nil {
			paths = append(paths, &r.WeCom.KeyFile)
		}
		if r.Email != nil {
			paths = append(paths, &r.Email.PasswordFile, &r.Email.CAFile)
		}
		for _, p := range paths {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
}

var receiverName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate checks the section, found at "delivery" in doc, and reads the
// secrets and CA files of the enabled receivers.
func (c *Config) Validate(doc *yamlfile.Doc) []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, doc.Errorf("delivery."+path, format, args...))
	}
	c.Retry.validate(add)
	seen := map[string]int{}
	for i := range c.Receivers {
		r := &c.Receivers[i]
		path := fmt.Sprintf("receivers[%d]", i)
		if !receiverName.MatchString(r.Name) {
			add(path+".name", "名称 %q 只能用小写字母、数字、- 和 _（告警转发地址 /alertmanager/wecom/名称 中要用到）", r.Name)
		} else if j, dup := seen[r.Name]; dup {
			add(path+".name", "名称 %q 与 receivers[%d] 重复", r.Name, j)
		}
		seen[r.Name] = i
		if n := utf8.RuneCountInString(r.Title); n > 30 {
			add(path+".title", "名称最多 30 个字，实际 %d 个", n)
		}
		switch {
		case r.WeCom != nil && r.Email != nil:
			add(path, "一个接收方只能是 wecom（企业微信群机器人）或 email（邮件）之一，请分成两个接收方")
		case r.WeCom != nil:
			r.WeCom.validate(r.Enabled, func(f, format string, args ...any) { add(path+".wecom."+f, format, args...) })
		case r.Email != nil:
			r.Email.validate(r.Enabled, func(f, format string, args ...any) { add(path+".email."+f, format, args...) })
		default:
			add(path, "请写明接收方类型：wecom（企业微信群机器人）或 email（邮件）")
		}
	}
	return errs
}

type addError func(field, format string, args ...any)

func (p *Retry) validate(add addError) {
	if p.Attempts < 1 || p.Attempts > 10 {
		add("retry.attempts", "发送尝试次数应在 1 到 10 之间")
	}
	if p.Initial <= 0 || p.Initial > p.Max {
		add("retry.initial", "首次重试等待时间应大于 0、不超过 retry.max")
	}
	if p.Max > 10*time.Minute {
		add("retry.max", "重试等待时间最长 10 分钟")
	}
	if p.Timeout < time.Second || p.Timeout > 10*time.Minute {
		add("retry.timeout", "单次发送超时应在 1 秒到 10 分钟之间")
	}
}

var weComKey = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)

func (w *WeComConfig) validate(enabled bool, add addError) {
	if w.APIURL != "" {
		if u, err := url.Parse(w.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("api_url", "企业微信接口地址应为 http(s)://主机/路径，默认 %s", DefaultWeComURL)
		}
	}
	if w.Key != "" && w.KeyFile != "" {
		add("key", "key 与 key_file 只能写一个")
		return
	}
	w.key = w.Key
	if enabled && w.KeyFile != "" {
		var err error
		if w.key, err = readSecret(w.KeyFile); err != nil {
			add("key_file", "%v", err)
			return
		}
	}
	switch {
	case w.key == "" && enabled:
		add("key", "已启用的机器人须有 key（群机器人 webhook 地址中 key= 之后的部分），写在 key_file 指向的文件中")
	case w.key == "":
	case strings.Contains(w.key, "key="):
		add("key", "请只填 webhook 地址中 key= 之后的部分，不要整个地址")
	case !weComKey.MatchString(w.key):
		add("key", "机器人 key 应为字母、数字和 - 组成的一串（webhook 地址中 key= 之后的部分）")
	}
}

func (e *EmailConfig) validate(enabled bool, add addError) {
	if host, port, err := net.SplitHostPort(e.Smarthost); err != nil || host == "" {
		add("smarthost", "邮件服务器应写成 主机:端口，如 smtp.example.gov.cn:587（465 端口按 SSL 直连）")
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		add("smarthost", "邮件服务器端口 %q 应为 1 到 65535 的数字", port)
	}
	if _, err := mail.ParseAddress(e.From); err != nil {
		add("from", "发件人 %q 不是有效的邮件地址", e.From)
	}
	if len(e.To) == 0 {
		add("to", "至少需要一个收件人")
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			add(fmt.Sprintf("to[%d]", i), "收件人 %q 不是有效的邮件地址", to)
		}
	}
	if e.Password != "" && e.PasswordFile != "" {
		add("password", "password 与 password_file 只能写一个")
	}
	if e.Username == "" && (e.Password != "" || e.PasswordFile != "") {
		add("username", "写了密码却没有用户名 username")
	}
	if !enabled {
		return
	}
	e.password = e.Password
	if e.PasswordFile != "" {
		var err error
		if e.password, err = readSecret(e.PasswordFile); err != nil {
			add("password_file", "%v", err)
		}
	}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		e.roots = x509.NewCertPool()
		if err != nil || !e.roots.AppendCertsFromPEM(pem) {
			add("ca_file", "无法从 %s 读出 PEM 格式的 CA 证书", e.CAFile)
		}
	}
}

// readSecret reads a one-line secret file (a robot key, a password).
func readSecret(path string) (string, error) {
	s, err := yamlfile.ReadSecret(path)
	if err != nil {
		return "", fmt.Errorf("无法读取密钥文件: %w", err)
	}
	return s, nil
}

// Errors of Open, for callers that answer differently (the alert
// webhook: 404 for a name it does not know, 200 for a disabled one).
var (
	ErrUnknown  = errors.New("没有这个接收方")
	ErrDisabled = errors.New("接收方未启用")
)

// Options are what every receiver shares.
type Options struct {
	HTTPClient *http.Client
	Now        func() time.Time
}

// Lookup returns the receiver named name.
func (c *Config) Lookup(name string) (*ReceiverConfig, bool) {
	for i := range c.Receivers {
		if c.Receivers[i].Name == name {
			return &c.Receivers[i], true
		}
	}
	return nil, false
}

// Open returns the enabled receiver named name, ready to send.
func (c *Config) Open(name string, o Options) (Receiver, error) {
	r, ok := c.Lookup(name)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w：%s", ErrUnknown, name)
	case !r.Enabled:
		return nil, fmt.Errorf("%w：%s", ErrDisabled, name)
	case r.WeCom != nil:
		return NewWeCom(name, r.WeCom.APIURL, r.WeCom.key, o.HTTPClient, c.Retry)
	case r.Email != nil:
		e := r.Email
		return NewEmail(name, EmailOptions{Smarthost: e.Smarthost, Hello: e.Hello, From: e.From, To: e.To,
			Username: e.Username, Password: e.password, RequireTLS: e.RequireTLS == nil || *e.RequireTLS,
			RootCAs: e.roots, Now: o.Now}, c.Retry)
	}
	return nil, fmt.Errorf("接收方 %s 没有写明类型", name)
}
