package delivery

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"strings"
	"time"
)

// contentType is f's type, from its extension when not given.
func contentType(f File) string {
	if f.ContentType != "" {
		return f.ContentType
	}
	switch strings.ToLower(filepath.Ext(f.Name)) {
	case ".docx":
		return DOCX
	case ".xlsx":
		return XLSX
	}
	if t := mime.TypeByExtension(filepath.Ext(f.Name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// composeMail builds the RFC 5322 message: UTF-8 subject as RFC 2047
// encoded words, the text as a base64 text/plain part and each file as a
// base64 attachment whose Chinese name is given both ways mail clients
// read (RFC 2231 filename*, RFC 2047 name).
func composeMail(from *mail.Address, to []*mail.Address, m Message, date time.Time) ([]byte, error) {
	var b bytes.Buffer
	addrs := make([]string, len(to))
	for i, a := range to {
		addrs[i] = a.String()
	}
	id := make([]byte, 12)
	rand.Read(id)
	_, domain, _ := strings.Cut(from.Address, "@")
	header := [][2]string{
		{"From", from.String()},
		{"To", strings.Join(addrs, ",\r\n ")},
		{"Subject", foldEncoded(mime.BEncoding.Encode("UTF-8", m.Subject))},
		{"Date", date.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
	}
	for _, h := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if len(m.Files) == 0 {
		b.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		writeBase64(&b, []byte(m.Text))
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", mw.Boundary())
	parts := []mailPart{{textproto.MIMEHeader{"Content-Type": {"text/plain; charset=UTF-8"}}, []byte(m.Text)}}
	for _, f := range m.Files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", mime.FormatMediaType(contentType(f), map[string]string{"name": mime.BEncoding.Encode("UTF-8", f.Name)}))
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
		parts = append(parts, mailPart{h, f.Data})
	}
	for _, p := range parts {
		p.header.Set("Content-Transfer-Encoding", "base64")
		w, err := mw.CreatePart(p.header)
		if err != nil {
			return nil, err
		}
		writeBase64(w, p.data)
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mailPart is one MIME part of a message, before base64.
type mailPart struct {
	header textproto.MIMEHeader
	data   []byte
}

// foldEncoded puts each encoded word of a long header on its own line.
func foldEncoded(s string) string {
	return strings.ReplaceAll(s, "?= =?", "?=\r\n =?")
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		w.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	w.Write([]byte(enc + "\r\n"))
}
