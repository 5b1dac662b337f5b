// Command webhook is the loopback Alertmanager webhook receiver used by
// scripts/e2e-alerts.sh. It appends every notification, stamped with the
// time it arrived, as one JSON line to a file, so a shell script can wait for
// and inspect deliveries with jq.
//
// Usage: webhook -out FILE [-listen 127.0.0.1:0] [-addr-file FILE]
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
	line, err := json.Marshal(record{ReceivedMS: rec.now().UnixMilli(), Path: r.URL.Path, Payload: body})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rec.mu.Lock()
	_, err = rec.w.Write(append(line, '\n'))
	rec.mu.Unlock()
	if err != nil {
		rec.log.Error("写入记录失败", "err", err)
		http.Error(w, "写入记录失败", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
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
	logger.Info("webhook 接收端已启动", "addr", ln.Addr().String(), "out", *out)
	return loopback.Serve(ln, &recorder{w: f, now: time.Now, log: logger})
}
