package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// Email sends messages over SMTP with net/smtp: STARTTLS whenever the
// server offers it (required unless RequireTLS is off), implicit TLS on
// port 465, PLAIN or LOGIN authentication when a user name is set (never
// over an unencrypted connection to another host).
type Email struct {
	name       string
	addr, host string
	hello      string
	from       *mail.Address
	to         []*mail.Address
	user, pass string
	requireTLS bool
	tls        *tls.Config
	retry      Retry
	now        func() time.Time
}

// EmailOptions describe one SMTP receiver (see EmailConfig for the fields).
type EmailOptions struct {
	Smarthost  string
	Hello      string
	From       string
	To         []string
	Username   string
	Password   string
	RequireTLS bool
	// RootCAs verify the server's certificate; nil: the system's.
	RootCAs *x509.CertPool
	Now     func() time.Time
}

// NewEmail checks the addresses and returns the receiver.
func NewEmail(name string, o EmailOptions, retry Retry) (*Email, error) {
	host, _, err := net.SplitHostPort(o.Smarthost)
	if err != nil || host == "" {
		return nil, fmt.Errorf("邮件服务器地址应为 主机:端口，如 smtp.example.gov.cn:587，实际为 %q", o.Smarthost)
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("发件人地址 %q 无效：%w", o.From, err)
	}
	if len(o.To) == 0 {
		return nil, errors.New("没有收件人")
	}
	to := make([]*mail.Address, len(o.To))
	for i, s := range o.To {
		if to[i], err = mail.ParseAddress(s); err != nil {
			return nil, fmt.Errorf("收件人地址 %q 无效：%w", s, err)
		}
	}
	if o.Hello == "" {
		o.Hello = "localhost"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Email{name: name, addr: o.Smarthost, host: host, hello: o.Hello, from: from, to: to,
		user: o.Username, pass: o.Password, requireTLS: o.RequireTLS,
		tls:   &tls.Config{ServerName: host, RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		retry: retry, now: o.Now}, nil
}

// Name is the receiver's name in yuqing.yaml.
func (e *Email) Name() string { return e.name }

// Send mails m to every recipient in one message.
func (e *Email) Send(ctx context.Context, m Message) error {
	msg, err := composeMail(e.from, e.to, m, e.now())
	if err != nil {
		return fmt.Errorf("邮件 %s：%w", e.name, err)
	}
	err = e.retry.do(ctx, func(ctx context.Context) error { return e.deliver(ctx, msg) })
	if err != nil {
		return fmt.Errorf("邮件 %s（%s）：%w", e.name, e.addr, err)
	}
	return nil
}

// deliver runs one SMTP session; ctx ends it by closing the connection.
func (e *Email) deliver(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return transient(fmt.Errorf("连接邮件服务器失败：%w", err))
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	implicitTLS := strings.HasSuffix(e.addr, ":465")
	if implicitTLS {
		conn = tls.Client(conn, e.tls)
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return smtpError("连接", err)
	}
	defer c.Close()
	if err := e.session(c, implicitTLS, msg); err != nil {
		return err
	}
	return nil
}

// session speaks SMTP from EHLO to QUIT.
func (e *Email) session(c *smtp.Client, encrypted bool, msg []byte) error {
	if err := c.Hello(e.hello); err != nil {
		return smtpError("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !encrypted {
		if err := c.StartTLS(e.tls); err != nil {
			return smtpError("STARTTLS", err)
		}
		encrypted = true
	}
	if !encrypted && e.requireTLS {
		return errors.New("邮件服务器不支持 STARTTLS 加密；确需明文发送时把该接收方的 require_tls 设为 false")
	}
	if e.user != "" {
		a, err := e.auth(c)
		if err != nil {
			return err
		}
		if err := c.Auth(a); err != nil {
			return smtpError("登录（AUTH）", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return smtpError("收件人 "+to.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError("发送邮件内容", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("发送邮件内容", err)
	}
	// The server took the message with its reply to DATA: a failed QUIT
	// must not make a retry send it twice.
	_ = c.Quit()
	return nil
}

// auth picks PLAIN, else LOGIN, among what the server offers.
func (e *Email) auth(c *smtp.Client) (smtp.Auth, error) {
	ok, list := c.Extension("AUTH")
	mechs := strings.Fields(strings.ToUpper(list))
	switch {
	case !ok:
		return nil, errors.New("邮件服务器不支持登录（没有 AUTH 扩展），请去掉 username 或换用支持登录的服务器")
	case slices.Contains(mechs, "PLAIN"):
		return smtp.PlainAuth("", e.user, e.pass, e.host), nil
	case slices.Contains(mechs, "LOGIN"):
		return &loginAuth{user: e.user, pass: e.pass, host: e.host}, nil
	}
	return nil, fmt.Errorf("邮件服务器只支持 %s 登录方式，本系统支持 PLAIN、LOGIN", list)
}

// loginAuth is the LOGIN mechanism (draft-murchison-sasl-login), which
// some mail systems offer instead of PLAIN. Like smtp.PlainAuth it sends
// the password only over TLS or to this machine.
type loginAuth struct{ user, pass, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("连接未加密，不发送密码")
	}
	if server.Name != a.host {
		return "", nil, errors.New("服务器名称不符")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(challenge))) {
	case "username:":
		return []byte(a.user), nil
	case "password:":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("LOGIN 登录时服务器发来意外的提示 %q", challenge)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

// smtpError words a failed step; 4xx replies and broken connections are
// transient, 5xx replies and certificate problems are not.
func smtpError(step string, err error) error {
	wrapped := fmt.Errorf("%s失败：%w", step, err)
	var te *textproto.Error
	var ne net.Error
	var ce *tls.CertificateVerificationError
	switch {
	case errors.As(err, &te):
		if te.Code >= 400 && te.Code < 500 {
			return transient(wrapped)
		}
		return wrapped
	case errors.As(err, &ce):
		return wrapped
	case errors.As(err, &ne), errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return transient(wrapped)
	}
	return wrapped
}
