package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ErrSecondInstance is returned when a daemon already runs on the SQLite
// database: SQLite serves one instance only.
var ErrSecondInstance = errors.New("SQLite 数据库只能由一个 yuqing 实例使用")

// multiInstanceGuide is where an operator who wants several instances is
// sent: the deployment guide's section on PostgreSQL.
const multiInstanceGuide = "需要多个实例时请改用 PostgreSQL（store.driver: postgres，见部署指南 docs/deploy.md 第 7 节“多实例部署”）"

// Holder is the daemon that holds the single-instance lock, as it
// recorded itself in the lock file: a refused second daemon names it, and
// `yuqing check` tells a check before reloading it (the same configuration)
// from a second instance (another configuration on the same database).
type Holder struct {
	Host   string `json:"host"`
	PID    int    `json:"pid"`
	Listen string `json:"listen"`
	// Config is the absolute path of the configuration file the holder
	// loaded and reloads; "" when an older version wrote the lock file.
	Config string `json:"config,omitempty"`
	// Text is the file's text when it is neither record (nor empty).
	Text string `json:"-"`
}

// oldRecord is the lock file's text before it recorded the configuration.
var oldRecord = regexp.MustCompile(`^主机 (\S*) 上的进程 (\d+)（监听 (.*)）$`)

// parseHolder reads the lock file's text: the JSON record, or the line
// older versions wrote (host, pid, listen address; no configuration).
func parseHolder(text string) Holder {
	text = strings.TrimSpace(text)
	var h Holder
	if strings.HasPrefix(text, "{") && json.Unmarshal([]byte(text), &h) == nil {
		return h
	}
	if m := oldRecord.FindStringSubmatch(text); m != nil {
		pid, _ := strconv.Atoi(m[2])
		return Holder{Host: m[1], PID: pid, Listen: m[3]}
	}
	return Holder{Text: text}
}

// record is the lock file's text for h.
func (h Holder) record() []byte {
	b, _ := json.Marshal(h) // strings and an int: cannot fail
	return append(b, '\n')
}

// String names the holder for an operator.
func (h Holder) String() string {
	if h.PID == 0 {
		if h.Text != "" {
			return h.Text
		}
		return "未知实例"
	}
	if h.Config == "" {
		return fmt.Sprintf("主机 %s 上的进程 %d（监听 %s）", h.Host, h.PID, h.Listen)
	}
	return fmt.Sprintf("主机 %s 上的进程 %d（配置 %s，监听 %s）", h.Host, h.PID, h.Config, h.Listen)
}

// Loads reports whether the holder runs with configFile: the same file on
// this host, however it is named (relative, through symlinks). known is
// false when the holder did not record its configuration (an older
// version wrote the lock file).
func (h Holder) Loads(configFile string) (same, known bool) {
	if h.Config == "" {
		return false, false
	}
	if host, _ := os.Hostname(); h.Host != host || configFile == "" {
		return false, true
	}
	return sameFile(h.Config, configFile), true
}

// sameFile compares two paths by the file they name, or, when either is
// missing, by their absolute paths with symlinks resolved.
func sameFile(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	return resolvePath(a) == resolvePath(b)
}

// resolvePath is p made absolute with its symlinks resolved, as far as
// they exist: a database not created yet is named by its resolved
// directory.
func resolvePath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(d, filepath.Base(abs))
	}
	return abs
}

// HeldError is the refusal of a second instance on a SQLite database.
type HeldError struct {
	DB     string // the database, absolute with symlinks resolved
	Holder Holder
	// Config is the configuration file of the instance refused ("": not
	// known, as for `yuqing status`).
	Config string
}

func (e *HeldError) Unwrap() error { return ErrSecondInstance }

// For is the refusal an instance with configFile gets.
func (e *HeldError) For(configFile string) *HeldError {
	c := *e
	c.Config = configFile
	return &c
}

// Error names the holder and says what to do: reload it when it runs this
// very configuration, else use PostgreSQL for a second instance.
func (e *HeldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v：%s 已由%s使用。", ErrSecondInstance, e.DB, e.Holder)
	same, known := e.Holder.Loads(e.Config)
	switch {
	case same:
		fmt.Fprintf(&b, "它用的正是同一份配置，不必再启动一个：修改配置后请让它重新加载（systemctl reload yuqing 或 kill -HUP %d）。", e.Holder.PID)
	case known && e.Config != "":
		fmt.Fprintf(&b, "这份配置 %s 与它的配置不是同一个文件，却指向同一个数据库。SQLite 只支持单实例运行，不能再启动第二个守护进程。", e.Config)
	default:
		b.WriteString("SQLite 只支持单实例运行，不能再启动第二个守护进程。")
	}
	b.WriteString(multiInstanceGuide)
	return b.String()
}

// guardPath is the lock file beside the database (db resolved).
func guardPath(db string) string { return db + ".instance-lock" }

// self is what this process records as the holder.
func self(configFile, listen string) Holder {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(configFile); err == nil {
		configFile = abs
	}
	return Holder{Host: host, PID: os.Getpid(), Listen: listen, Config: configFile}
}
