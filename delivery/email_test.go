package delivery

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailServer is an SMTP server on loopback (github.com/emersion/go-smtp)
// that keeps what it receives.
type mailServer struct {
	addr     string
	certPEM  []byte
	user     string // "" : no AUTH offered
	pass     string
	mechs    []string
	mu       sync.Mutex
	received []receivedMail
	sessions int
	failData []error // answers to the next DATA commands
	failRcpt error
}

type receivedMail struct {
	from, user string
	to         []string
	data       []byte
	tls        bool
}

// startMailServer starts a server; withTLS offers STARTTLS with a
// certificate for 127.0.0.1 that only certPEM vouches for.
func startMailServer(t *testing.T, withTLS bool, user, pass string, mechs ...string) *mailServer {
	t.Helper()
	ms := &mailServer{user: user, pass: pass, mechs: mechs}
	if len(mechs) == 0 {
		ms.mechs = []string{sasl.Plain}
	}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ms.mu.Lock()
		ms.sessions++
		ms.mu.Unlock()
		return &mailSession{ms: ms, conn: c}, nil
	}))
	s.Domain = "127.0.0.1"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log{t}
	if withTLS {
		cert, certPEM := selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ms.certPEM = certPEM
	} else {
		s.AllowInsecureAuth = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ms
}

type log struct{ t *testing.T }

func (l log) Printf(format string, v ...any) { l.t.Logf(format, v...) }
func (l log) Println(v ...any)               { l.t.Log(v...) }

func (ms *mailServer) mails() []receivedMail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]receivedMail(nil), ms.received...)
}

func (ms *mailServer) sessionCount() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.sessions
}

func (ms *mailServer) roots(t *testing.T) *x509.CertPool {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(ms.certPEM) {
		t.Fatal("no certificate")
	}
	return p
}

type mailSession struct {
	ms   *mailServer
	conn *smtp.Conn
	cur  receivedMail
}

func (s *mailSession) AuthMechanisms() []string {
	if s.ms.user == "" {
		return nil
	}
	return s.ms.mechs
}

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.ms.user || pass != s.ms.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}
		}
		s.cur.user = user
		return nil
	}
	if mech == "LOGIN" {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.user != "" && s.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ms.failRcpt != nil {
		return s.ms.failRcpt
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if len(s.ms.failData) > 0 {
		err := s.ms.failData[0]
		s.ms.failData = s.ms.failData[1:]
		return err
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.data = data
	s.ms.received = append(s.ms.received, s.cur)
	return nil
}

func (s *mailSession) Reset()        { s.cur = receivedMail{user: s.cur.user} }
func (s *mailSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newEmail(t *testing.T, o EmailOptions) *Email {
	t.Helper()
	if o.From == "" {
		o.From = "医保舆情监测系统 <yuqing@example.gov.cn>"
	}
	if len(o.To) == 0 {
		o.To = []string{"xuanchuan@example.gov.cn", "王科长 <wang@example.gov.cn>"}
	}
	e, err := NewEmail("baogao", o, fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// parsedMail is a received message taken apart as a mail client would.
type parsedMail struct {
	subject, from, text string
	to                  []*mail.Address
	files               map[string][]byte
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	var p parsedMail
	if p.subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From %q: %v", msg.Header.Get("From"), err)
	}
	p.from = from[0].Name + " " + from[0].Address
	if p.to, err = msg.Header.AddressList("To"); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.ParseDate(msg.Header.Get("Date")); err != nil || msg.Header.Get("Message-ID") == "" {
		t.Errorf("Date %q, Message-ID %q", msg.Header.Get("Date"), msg.Header.Get("Message-ID"))
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt == "text/plain" {
		p.text = decodeBase64(t, msg.Body)
		return p
	}
	if mt != "multipart/mixed" {
		t.Fatalf("Content-Type %s", mt)
	}
	p.files = map[string][]byte{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if part.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Errorf("part not base64: %v", part.Header)
		}
		body := decodeBase64(t, part)
		if name := part.FileName(); name != "" {
			p.files[name] = []byte(body)
		} else {
			p.text = body
		}
	}
	return p
}

func decodeBase64(t *testing.T, r io.Reader) string {
	t.Helper()
	raw, _ := io.ReadAll(r)
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 76 {
			t.Errorf("base64 line of %d characters", len(line))
		}
	}
	data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestEmailSTARTTLSAuthAttachment(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			ms := startMailServer(t, true, "yuqing", "s3cret-密码", mech)
			e := newEmail(t, EmailOptions{Smarthost: ms.addr, Username: "yuqing", Password: "s3cret-密码",
				RequireTLS: true, RootCAs: ms.roots(t)})
			subject := "【医保舆情周报】2026年第47周（11月16日至11月22日）共发现舆情 12 起，其中重大 1 起，请各科室查阅"
			text := "本周新增舆情 12 起。\n详见附件。\n"
			docx := bytes.Repeat([]byte("PK\x03\x04周报"), 300)
			err := e.Send(context.Background(), Message{Subject: subject, Text: text,
				Files: []File{{Name: "医保舆情周报（第47周）.docx", Data: docx}, {Name: "舆情明细.xlsx", Data: []byte("PK\x03\x04明细表")}}})
			if err != nil {
				t.Fatal(err)
			}
			got := ms.mails()
			if len(got) != 1 {
				t.Fatalf("%d messages received", len(got))
			}
			m := got[0]
			if !m.tls || m.user != "yuqing" || m.from != "yuqing@example.gov.cn" ||
				strings.Join(m.to, ",") != "xuanchuan@example.gov.cn,wang@example.gov.cn" {
				t.Errorf("session: tls %v, user %q, from %q, to %v", m.tls, m.user, m.from, m.to)
			}
			p := parseMail(t, m.data)
			if p.subject != subject {
				t.Errorf("subject decodes to %q", p.subject)
			}
			if p.from != "医保舆情监测系统 yuqing@example.gov.cn" || len(p.to) != 2 || p.to[1].Name != "王科长" {
				t.Errorf("from %q, to %v", p.from, p.to)
			}
			if p.text != text {
				t.Errorf("text %q", p.text)
			}
			if !bytes.Equal(p.files["医保舆情周报（第47周）.docx"], docx) || string(p.files["舆情明细.xlsx"]) != "PK\x03\x04明细表" {
				t.Errorf("attachments: %d files %v", len(p.files), keys(p.files))
			}
			if !bytes.Contains(m.data, []byte("Content-Type: "+DOCX)) {
				t.Error("the DOCX attachment lacks its content type")
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestEmailPlainTextOnLoopbackWithoutTLS(t *testing.T) {
	ms := startMailServer(t, false, "", "")
	e := newEmail(t, EmailOptions{Smarthost: ms.addr, RequireTLS: false})
	if err := e.Send(context.Background(), Message{Subject: "测试", Text: "只有正文"}); err != nil {
		t.Fatal(err)
	}
	got := ms.mails()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	if p := parseMail(t, got[0].data); p.subject != "测试" || p.text != "只有正文" || p.files != nil {
		t.Errorf("parsed %+v", p)
	}
}

func TestEmailRequireTLSRefusesPlaintextServer(t *testing.T) {
	ms := startMailServer(t, false, "yuqing", "secret")
	e := newEmail(t, EmailOptions{Smarthost: ms.addr, Username: "yuqing", Password: "secret", RequireTLS: true})
	err := e.Send(context.Background(), Message{Subject: "测试", Text: "正文"})
	if err == nil || Transient(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a permanent refusal naming STARTTLS", err)
	}
	if ms.sessionCount() != 1 || len(ms.mails()) != 0 {
		t.Errorf("%d sessions, %d messages", ms.sessionCount(), len(ms.mails()))
	}
}

func TestEmailUntrustedCertificateIsPermanent(t *testing.T) {
	ms := startMailServer(t, true, "", "")
	e := newEmail(t, EmailOptions{Smarthost: ms.addr, RequireTLS: true}) // system roots: no trust
	err := e.Send(context.Background(), Message{Subject: "测试", Text: "正文"})
	if err == nil || Transient(err) || len(ms.mails()) != 0 {
		t.Fatalf("err = %v, want a permanent certificate error", err)
	}
}

func TestEmailRetries4xxNot5xx(t *testing.T) {
	ms := startMailServer(t, false, "", "")
	ms.failData = []error{&smtp.SMTPError{Code: 451, Message: "try again later"}}
	e := newEmail(t, EmailOptions{Smarthost: ms.addr})
	if err := e.Send(context.Background(), Message{Subject: "测试", Text: "正文"}); err != nil {
		t.Fatal(err)
	}
	if ms.sessionCount() != 2 || len(ms.mails()) != 1 {
		t.Errorf("451 then success: %d sessions, %d messages", ms.sessionCount(), len(ms.mails()))
	}

	ms = startMailServer(t, false, "", "")
	ms.failRcpt = &smtp.SMTPError{Code: 550, Message: "no such user"}
	e = newEmail(t, EmailOptions{Smarthost: ms.addr})
	err := e.Send(context.Background(), Message{Subject: "测试", Text: "正文"})
	if err == nil || Transient(err) || !strings.Contains(err.Error(), "550") {
		t.Fatalf("err = %v, want a permanent 550", err)
	}
	if n := ms.sessionCount(); n != 1 {
		t.Errorf("a 550 was retried: %d sessions", n)
	}
}

func TestEmailWrongPassword(t *testing.T) {
	ms := startMailServer(t, true, "yuqing", "right")
	e := newEmail(t, EmailOptions{Smarthost: ms.addr, Username: "yuqing", Password: "wrong", RequireTLS: true, RootCAs: ms.roots(t)})
	err := e.Send(context.Background(), Message{Subject: "测试", Text: "正文"})
	if err == nil || Transient(err) || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("err = %v", err)
	}
}
