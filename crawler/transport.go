package crawler

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// maxRobotsBytes is how much of a robots.txt is parsed. RFC 9309 §2.5 lets
// a crawler stop parsing after a limit of at least 500 KiB; the rest is
// ignored (cut at the last whole line), so a huge or bombed robots.txt is
// still obeyed as far as it was read instead of failing every request.
const maxRobotsBytes = 512 << 10

// boundedTransport is the only way bytes enter the crawler. It asks for
// gzip or deflate itself, decodes whatever arrives (Content-Encoding, or a
// gzip-looking Content-Type, as colly v2.3.0 would gunzip on its own) and
// puts one limit on the decoded stream, so a decompression bomb stops at the
// limit instead of inflating in memory. Responses leave it marked
// Uncompressed, which keeps colly from inflating them a second time; that
// holds for robots.txt too, which colly reads past its own size limit.
type boundedTransport struct {
	next     http.RoundTripper
	maxBytes int64 // decoded bytes a page may have; more fails with ErrTruncated
	log      *slog.Logger
}

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	// Set by us, Go's transport leaves the body encoded: we decode it, under the limit.
	r.Header.Set("Accept-Encoding", "gzip, deflate")
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	coding := contentCoding(resp, req)
	if coding != "" && coding != "gzip" && coding != "deflate" {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s 使用了不支持的压缩方式 %q", ErrEncoding, req.URL.Redacted(), coding)
	}
	body := &decodedBody{raw: resp.Body, coding: coding}
	resp.Body = body
	if coding != "" {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
	}
	resp.Uncompressed = true
	if isRobotsTxt(req) {
		text, cut, err := readRobots(body)
		body.Close()
		if err != nil {
			return nil, fmt.Errorf("读取 %s: %w", req.URL.Redacted(), err)
		}
		if cut {
			t.log.Warn("robots.txt 过大，只按前 512 KiB 执行（RFC 9309）", "url", req.URL.Redacted())
		}
		resp.Body = io.NopCloser(bytes.NewReader(text))
		return resp, nil
	}
	body.limit = t.maxBytes
	return resp, nil
}

// contentCoding says how the body is compressed: "" (identity), "gzip",
// "deflate", or another coding we cannot decode. colly v2.3.0 gunzips when
// Content-Encoding contains gzip, or when it is empty and the Content-Type
// contains gzip or the path ends in .xml.gz; all of these are decoded here.
func contentCoding(resp *http.Response, req *http.Request) string {
	ce := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	switch {
	case ce == "" || ce == "identity":
		if strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "gzip") ||
			strings.HasSuffix(strings.ToLower(req.URL.Path), ".xml.gz") {
			return "gzip"
		}
		return ""
	case ce == "gzip" || ce == "x-gzip":
		return "gzip"
	case ce == "deflate":
		return "deflate"
	}
	return ce // br, zstd, "gzip, gzip", ...: not asked for, not decoded
}

// isRobotsTxt reports whether req (or the request it was redirected from)
// asks for /robots.txt: only colly's robots check does.
func isRobotsTxt(req *http.Request) bool {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req.URL.Path == "/robots.txt"
}

// readRobots reads at most maxRobotsBytes, cut back to the last whole line
// when there was more.
func readRobots(r io.Reader) (text []byte, cut bool, err error) {
	text, err = io.ReadAll(io.LimitReader(r, maxRobotsBytes+1))
	if err != nil {
		return nil, false, err
	}
	if len(text) <= maxRobotsBytes {
		return text, false, nil
	}
	text = text[:maxRobotsBytes]
	if i := bytes.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i+1]
	}
	return text, true, nil
}

// decodedBody decodes a response body lazily (so a broken stream fails on
// Read, where colly reports it) and fails with ErrTruncated once more than
// limit decoded bytes arrive (0: no limit, robots.txt has its own).
type decodedBody struct {
	raw    io.ReadCloser
	coding string
	limit  int64

	dec  io.Reader
	n    int64
	done error
}

func (b *decodedBody) Read(p []byte) (int, error) {
	if b.done != nil {
		return 0, b.done
	}
	if b.dec == nil {
		dec, err := newDecoder(b.raw, b.coding)
		if err != nil {
			b.done = err
			return 0, err
		}
		b.dec = dec
	}
	if b.limit > 0 && int64(len(p)) > b.limit-b.n+1 {
		p = p[:b.limit-b.n+1] // read one byte past the limit to see there is more
	}
	n, err := b.dec.Read(p)
	b.n += int64(n)
	if b.limit > 0 && b.n > b.limit {
		b.done = fmt.Errorf("%w（解压后超过 %d 字节）", ErrTruncated, b.limit)
		return n - int(b.n-b.limit), b.done
	}
	return n, err
}

func (b *decodedBody) Close() error {
	if c, ok := b.dec.(io.Closer); ok && b.coding != "" {
		c.Close() // the decompressor; raw is closed below
	}
	return b.raw.Close()
}

// newDecoder wraps r for the coding. deflate is zlib-wrapped per RFC 9110,
// but some servers send raw deflate: the zlib header tells them apart.
func newDecoder(r io.Reader, coding string) (io.Reader, error) {
	if coding == "" {
		return r, nil
	}
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); err == io.EOF {
		return br, nil // an empty body (304, 204) declared compressed
	}
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip 数据损坏: %v", ErrEncoding, err)
		}
		return zr, nil
	case "deflate":
		if h, err := br.Peek(2); err == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("%w: deflate 数据损坏: %v", ErrEncoding, err)
			}
			return zr, nil
		}
		return flate.NewReader(br), nil
	}
	return nil, errors.New("unknown coding " + coding)
}
