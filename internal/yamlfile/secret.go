package yamlfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrNotOneLine is ReadSecret's answer for an empty file or one of
// several lines.
var ErrNotOneLine = errors.New("文件应只有一行，且不能为空")

// ReadSecret reads a file that holds one secret (a token, a robot key, a
// password) on one line, as Prometheus and Alertmanager read their
// *_file settings: at most 4 KiB are read, surrounding space is dropped.
func ReadSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(data))
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("%s: %w", path, ErrNotOneLine)
	}
	return s, nil
}
