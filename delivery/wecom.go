package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The WeCom group robot's limits (群机器人配置说明; 上传文件接口).
const (
	// MarkdownLimit is the longest markdown content, in UTF-8 bytes.
	MarkdownLimit = 4096
	// maxParts bounds how many messages one long text becomes: a robot
	// may send 20 messages a minute.
	maxParts = 5
	// A robot's upload takes files of more than 5 bytes, up to 20 MB.
	minUploadBytes = 6
	maxUploadBytes = 20 << 20
)

// DefaultWeComURL is where the robot API lives; api_url overrides it
// (tests, a proxy).
const DefaultWeComURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/"

// Error codes the robot API answers with that are worth a retry: system
// busy, and the rate limit of 20 messages a minute per robot.
var weComRetryable = map[int]bool{-1: true, 45009: true}

// weComHints explain the codes an operator can act on.
var weComHints = map[int]string{
	93000: "机器人 key 无效，或机器人已被移出群聊，请核对 key",
	45009: "超过发送频率限制（每个机器人每分钟最多 20 条）",
	40058: "消息内容不合规范",
	44004: "消息内容为空",
	-1:    "企业微信系统繁忙",
}

// WeCom is a WeCom group robot (群机器人): markdown messages, files
// uploaded and sent as file messages.
type WeCom struct {
	name   string
	api    *url.URL
	key    string
	client *http.Client
	retry  Retry
}

// NewWeCom returns the robot with webhook key key at apiURL ("" for
// DefaultWeComURL).
func NewWeCom(name, apiURL, key string, client *http.Client, retry Retry) (*WeCom, error) {
	if apiURL == "" {
		apiURL = DefaultWeComURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("企业微信接口地址应为 http(s)://主机/路径，实际为 %q", apiURL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &WeCom{name: name, api: u, key: key, client: client, retry: retry}, nil
}

// Name is the receiver's name in yuqing.yaml.
func (w *WeCom) Name() string { return w.name }

// Send posts the subject and text as markdown (several messages when
// longer than one may be), then uploads and sends each file.
func (w *WeCom) Send(ctx context.Context, m Message) error {
	for _, f := range m.Files {
		if n := len(f.Data); n < minUploadBytes || n > maxUploadBytes {
			return fmt.Errorf("企业微信机器人 %s：文件“%s”有 %d 字节，机器人只能发送 6 字节到 20 MB 的文件", w.name, f.Name, n)
		}
	}
	text := m.Text
	if m.Subject != "" {
		text = "**" + m.Subject + "**\n" + text
	}
	for _, part := range SplitMarkdown(text, MarkdownLimit) {
		body := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": part}}
		if err := w.retry.do(ctx, func(ctx context.Context) error { return w.post(ctx, body) }); err != nil {
			return err
		}
	}
	for _, f := range m.Files {
		var id string
		err := w.retry.do(ctx, func(ctx context.Context) (err error) {
			id, err = w.upload(ctx, f)
			return err
		})
		if err != nil {
			return err
		}
		body := map[string]any{"msgtype": "file", "file": map[string]string{"media_id": id}}
		if err := w.retry.do(ctx, func(ctx context.Context) error { return w.post(ctx, body) }); err != nil {
			return err
		}
	}
	return nil
}

// weComReply is every robot API answer; media_id only from an upload.
type weComReply struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MediaID string `json:"media_id"`
}

func (w *WeCom) post(ctx context.Context, body any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	_, err = w.call(ctx, "send", nil, "application/json", data)
	return err
}

// upload sends f to upload_media as the multipart field "media" and
// returns its media_id (valid three days, for this robot only).
func (w *WeCom) upload(ctx context.Context, f File) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`,
		quoteEscaper.Replace(f.Name), len(f.Data)))
	h.Set("Content-Type", contentType(f))
	pw, err := mw.CreatePart(h)
	if err != nil {
		return "", err
	}
	pw.Write(f.Data)
	if err := mw.Close(); err != nil {
		return "", err
	}
	r, err := w.call(ctx, "upload_media", url.Values{"type": {"file"}}, mw.FormDataContentType(), buf.Bytes())
	if err != nil {
		return "", err
	}
	if r.MediaID == "" {
		return "", fmt.Errorf("企业微信机器人 %s：上传文件“%s”后没有返回 media_id", w.name, f.Name)
	}
	return r.MediaID, nil
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")

// call POSTs body to the API's endpoint with the robot's key and reads the
// reply. Errors never carry the URL: it holds the key.
func (w *WeCom) call(ctx context.Context, endpoint string, query url.Values, ctype string, body []byte) (weComReply, error) {
	var r weComReply
	u := w.api.JoinPath(endpoint)
	q := u.Query()
	for k, v := range query {
		q[k] = v
	}
	q.Set("key", w.key)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return r, fmt.Errorf("企业微信机器人 %s：%w", w.name, withoutURL(err))
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := w.client.Do(req)
	if err != nil {
		return r, transient(fmt.Errorf("企业微信机器人 %s：%s 请求失败：%w", w.name, endpoint, withoutURL(err)))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return r, transient(fmt.Errorf("企业微信机器人 %s：读取 %s 的应答失败：%w", w.name, endpoint, err))
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("企业微信机器人 %s：%s 返回 HTTP %d", w.name, endpoint, resp.StatusCode)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			err = transient(err)
		}
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("企业微信机器人 %s：%s 的应答不是 JSON：%q", w.name, endpoint, truncate(data, 200))
	}
	if r.ErrCode != 0 {
		err := fmt.Errorf("企业微信机器人 %s：%s 返回错误 %d（%s）%s", w.name, endpoint, r.ErrCode, r.ErrMsg, hint(r.ErrCode))
		if weComRetryable[r.ErrCode] {
			err = transient(err)
		}
		return r, err
	}
	return r, nil
}

func hint(code int) string {
	if h, ok := weComHints[code]; ok {
		return "：" + h
	}
	return ""
}

// withoutURL drops the request URL (with the robot's key) from a client
// error, keeping its cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return strings.ToValidUTF8(string(b[:n]), "") + "…"
}

// Markers of a text sent in parts.
const (
	partReserve = 64 // bytes kept free in each part for its header
	cutNote     = "\n……（内容过长，其余部分未发送，请在控制台查看）"
)

// SplitMarkdown cuts text into messages of at most limit bytes, at line
// ends where it can (inside a line only at a character boundary). A text
// in several parts has each headed （第 i/n 段）; past maxParts the rest is
// dropped with a note saying so.
func SplitMarkdown(text string, limit int) []string {
	text = strings.TrimRight(text, "\n")
	if len(text) <= limit {
		return []string{text}
	}
	room := max(limit-partReserve, 2*utf8.UTFMax) // a cut always makes progress
	var parts []string
	var b strings.Builder
	flush := func() {
		parts = append(parts, strings.TrimRight(b.String(), "\n"))
		b.Reset()
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		for line != "" {
			if b.Len()+len(line) <= room {
				b.WriteString(line)
				break
			}
			if b.Len() > 0 {
				flush()
				continue
			}
			cut := runeCut(line, room)
			b.WriteString(line[:cut])
			line = line[cut:]
			flush()
		}
	}
	if b.Len() > 0 {
		flush()
	}
	if len(parts) > maxParts {
		parts = parts[:maxParts]
		last := parts[maxParts-1]
		parts[maxParts-1] = last[:runeCut(last, room-len(cutNote))] + cutNote
	}
	for i := range parts {
		parts[i] = "（第 " + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(parts)) + " 段）\n" + parts[i]
	}
	return parts
}

// runeCut returns where to cut s to keep at most max bytes: max itself
// (or len(s)), moved back to the start of the character it splits. Bytes
// that are no UTF-8 are cut anywhere, so a cut always makes progress.
func runeCut(s string, max int) int {
	if max >= len(s) {
		return len(s)
	}
	for back := 0; back < utf8.UTFMax && back < max; back++ {
		if utf8.RuneStart(s[max-back]) {
			return max - back
		}
	}
	return max
}
