// Package wecomfake is a WeCom group robot for tests, on loopback: it
// speaks the webhook protocol (send with msgtype text, markdown or file;
// upload_media with the multipart field "media") and checks every request
// as strictly as the protocol is documented: the key, the method, the
// JSON body, the markdown limit of 4096 bytes, the upload's 5 bytes to
// 20 MB and that a file message names a media_id this robot issued.
// Violations get the errcode the real service answers with. It serves
// the delivery package's tests and the end-to-end script's robot
// (scripts/e2e/webhook -wecom-key).
package wecomfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The API's error codes this fake answers with.
const (
	CodeInvalidKey     = 93000 // invalid webhook url
	CodeInvalidParam   = 40058 // a field missing or malformed
	CodeInvalidType    = 40008 // unknown msgtype
	CodeInvalidMediaID = 40007
	CodeInvalidSize    = 40006
	CodeRateLimited    = 45009
	CodeBusy           = -1
)

// Message is a message the robot accepted.
type Message struct {
	Type     string `json:"msgtype"`
	Content  string `json:"content,omitempty"` // text or markdown
	MediaID  string `json:"media_id,omitempty"`
	FileName string `json:"file_name,omitempty"`
	FileData []byte `json:"-"`
}

// Robot is one robot; the zero value with Key set is ready.
type Robot struct {
	Key string
	// Record, when set, is called with each accepted message.
	Record func(Message)

	mu       sync.Mutex
	messages []Message
	uploads  map[string]upload
	fail     []int
	requests int
}

type upload struct {
	name string
	data []byte
}

// FailNext makes the next len(codes) requests answer with these errcodes.
func (r *Robot) FailNext(codes ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = append(r.fail, codes...)
}

// Messages returns what the robot accepted, in order.
func (r *Robot) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.messages...)
}

// Requests counts every request, refused ones included.
func (r *Robot) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

type reply struct {
	ErrCode   int    `json:"errcode"`
	ErrMsg    string `json:"errmsg"`
	Type      string `json:"type,omitempty"`
	MediaID   string `json:"media_id,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
}

func (r *Robot) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var rep reply
	switch req.URL.Path {
	case "/cgi-bin/webhook/send":
		rep = r.check(req, r.send)
	case "/cgi-bin/webhook/upload_media":
		rep = r.check(req, r.upload)
	default:
		http.NotFound(w, req)
		return
	}
	if rep.ErrMsg == "" {
		rep.ErrMsg = "ok"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(rep)
}

// check counts the request, answers an injected failure or a wrong key,
// else runs handle.
func (r *Robot) check(req *http.Request, handle func(*http.Request) reply) reply {
	r.mu.Lock()
	r.requests++
	var code int
	if len(r.fail) > 0 {
		code, r.fail = r.fail[0], r.fail[1:]
	}
	r.mu.Unlock()
	switch {
	case code != 0:
		return reply{ErrCode: code, ErrMsg: "injected failure"}
	case req.URL.Query().Get("key") != r.Key || r.Key == "":
		return reply{ErrCode: CodeInvalidKey, ErrMsg: "invalid webhook url"}
	}
	return handle(req)
}

func (r *Robot) send(req *http.Request) reply {
	if t, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); t != "application/json" {
		return reply{ErrCode: CodeInvalidParam, ErrMsg: "content type is not application/json"}
	}
	var body struct {
		MsgType  string `json:"msgtype"`
		Text     *struct{ Content string }
		Markdown *struct{ Content string }
		File     *struct {
			MediaID string `json:"media_id"`
		}
	}
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<20)).Decode(&body); err != nil {
		return reply{ErrCode: CodeInvalidParam, ErrMsg: "invalid json: " + err.Error()}
	}
	m := Message{Type: body.MsgType}
	switch {
	case body.MsgType == "markdown" && body.Markdown != nil:
		m.Content = body.Markdown.Content
		if e := checkContent(m.Content, 4096); e != "" {
			return reply{ErrCode: CodeInvalidParam, ErrMsg: e}
		}
	case body.MsgType == "text" && body.Text != nil:
		m.Content = body.Text.Content
		if e := checkContent(m.Content, 2048); e != "" {
			return reply{ErrCode: CodeInvalidParam, ErrMsg: e}
		}
	case body.MsgType == "file" && body.File != nil:
		r.mu.Lock()
		u, ok := r.uploads[body.File.MediaID]
		r.mu.Unlock()
		if !ok {
			return reply{ErrCode: CodeInvalidMediaID, ErrMsg: "invalid media_id"}
		}
		m.MediaID, m.FileName, m.FileData = body.File.MediaID, u.name, u.data
	case body.MsgType == "markdown" || body.MsgType == "text" || body.MsgType == "file":
		return reply{ErrCode: CodeInvalidParam, ErrMsg: "missing " + body.MsgType + " field"}
	default:
		return reply{ErrCode: CodeInvalidType, ErrMsg: "invalid message type"}
	}
	r.mu.Lock()
	r.messages = append(r.messages, m)
	r.mu.Unlock()
	if r.Record != nil {
		r.Record(m)
	}
	return reply{}
}

func checkContent(s string, limit int) string {
	switch {
	case s == "":
		return "empty content"
	case !utf8.ValidString(s):
		return "content is not utf8"
	case len(s) > limit:
		return "content exceed max length " + strconv.Itoa(limit)
	}
	return ""
}

func (r *Robot) upload(req *http.Request) reply {
	if req.URL.Query().Get("type") != "file" {
		return reply{ErrCode: CodeInvalidParam, ErrMsg: "type must be file"}
	}
	if err := req.ParseMultipartForm(32 << 20); err != nil {
		return reply{ErrCode: CodeInvalidParam, ErrMsg: "not multipart/form-data: " + err.Error()}
	}
	f, h, err := req.FormFile("media")
	if err != nil {
		return reply{ErrCode: CodeInvalidParam, ErrMsg: "no form field media"}
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return reply{ErrCode: CodeInvalidParam, ErrMsg: err.Error()}
	}
	if len(data) <= 5 || len(data) > 20<<20 || h.Filename == "" {
		return reply{ErrCode: CodeInvalidSize, ErrMsg: "invalid file size or name"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.uploads == nil {
		r.uploads = map[string]upload{}
	}
	id := fmt.Sprintf("media-%d", len(r.uploads)+1)
	r.uploads[id] = upload{name: h.Filename, data: data}
	return reply{Type: "file", MediaID: id, CreatedAt: "1380000000"}
}
