// Command webhook is the loopback Alertmanager webhook receiver used by
// scripts/e2e-alerts.sh. It appends every notification, stamped with the
// time it arrived, as one JSON line to a file, so a shell script can wait for
// and inspect deliveries with jq. With -wecom-key it is a WeCom group robot
// instead (delivery/wecomfake, the real protocol's send and upload_media,
// that key only), recording each message it accepts.
//
// Usage: webhook -out FILE [-listen 127.0.0.1:0] [-addr-file FILE] [-wecom-key KEY]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/yuqing-bureau/yuqing/delivery/wecomfake"
	"github.com/yuqing-bureau/yuqing/scripts/e2e/internal/loopback"
)

// maxBody bounds one notification; Alertmanager payloads are a few KB.
const maxBody = 1 << 20

// record is one line of the output file.
type record struct {
	ReceivedMS int64           `json:"received_ms"` // unix milliseconds
	Path       string          `json:"path"`
	Payload    json.RawMessage `json:"payload"`
}

// recorder appends records to w; the mutex keeps concurrent deliveries
// from interleaving lines.
type recorder struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	log *slog.Logger
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "只接受 POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody || !json.Valid(body) {
		http.Error(w, "请求体不是不超过 1 MB 的 JSON", http.StatusBadRequest)
		return
	}
	if err := rec.write(r.URL.Path, body); err != nil {
		http.Error(w, "写入记录失败", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// write appends one record.
func (rec *recorder) write(path string, payload []byte) error {
	line, err := json.Marshal(record{ReceivedMS: rec.now().UnixMilli(), Path: path, Payload: payload})
	if err != nil {
		return err
	}
	rec.mu.Lock()
	_, err = rec.w.Write(append(line, '\n'))
	rec.mu.Unlock()
	if err != nil {
		rec.log.Error("写入记录失败", "err", err)
	}
	return err
}

// robot is the WeCom group robot that records what it accepts.
func (rec *recorder) robot(key string) http.Handler {
	return &wecomfake.Robot{Key: key, Record: func(m wecomfake.Message) {
		payload, err := json.Marshal(m)
		if err == nil {
			err = rec.write("/cgi-bin/webhook/send", payload)
		}
		if err != nil {
			rec.log.Error("记录企业微信消息失败", "err", err)
		}
	}}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "监听地址（只允许本机回环地址）")
	out := flag.String("out", "", "记录文件（每行一条 JSON）")
	addrFile := flag.String("addr-file", "", "启动后把实际监听地址写入此文件")
	wecomKey := flag.String("wecom-key", "", "作为企业微信群机器人运行，只接受此 key")
	flag.Parse()
	if *out == "" {
		return errors.New("请用 -out 指定记录文件")
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("打开记录文件: %w", err)
	}
	defer f.Close()
	ln, err := loopback.Listen(*listen)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return fmt.Errorf("写入地址文件: %w", err)
		}
	}
	rec := &recorder{w: f, now: time.Now, log: logger}
	var h http.Handler = rec
	if *wecomKey != "" {
		h = rec.robot(*wecomKey)
	}
	logger.Info("webhook 接收端已启动", "addr", ln.Addr().String(), "out", *out, "wecom", *wecomKey != "")
	return loopback.Serve(ln, h)
}
