package cluster

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrSecondInstance is returned when a daemon already runs on the SQLite
// database: SQLite serves one instance only.
var ErrSecondInstance = errors.New("SQLite 数据库只能由一个 yuqing 实例使用")

// guardPath is the lock file beside the database.
func guardPath(dbPath string) string { return dbPath + ".instance-lock" }

// secondInstance is the error naming the instance that holds the lock
// (what it wrote in the file: host, process, listen address).
func secondInstance(dbPath, holder string) error {
	holder = strings.TrimSpace(holder)
	if holder == "" {
		holder = "未知实例"
	}
	return fmt.Errorf("%w：%s 正由%s使用。SQLite 只支持单实例运行，不能再启动第二个守护进程；"+
		"需要多个实例时请改用 PostgreSQL（store.driver: postgres）", ErrSecondInstance, dbPath, holder)
}

// describe is what a holder writes in the lock file for the next one to read.
func describe(listen string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("主机 %s 上的进程 %d（监听 %s）", host, os.Getpid(), listen)
}
