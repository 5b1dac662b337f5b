// Package yamlfile decodes operator-written YAML strictly and reports every
// problem as "file:line: field: message", so an operator fixing a config knows
// exactly where to look. Decoding and validation share the same locator.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem at one place in one file.
type Error struct {
	File  string
	Line  int    // 0 when unknown
	Field string // dotted path such as "sources[2].list.item"; may be empty
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Doc is a decoded file that can still point at its own lines.
type Doc struct {
	File string
	root *yaml.Node
}

// MaxFileBytes bounds every configuration file an operator points us at
// (YAML, dictionaries, token files): the largest shipped one is under
// 40 KiB, so a file over this is a mistake (a log, a device such as
// /dev/zero) that must not be read into memory whole.
const MaxFileBytes = 16 << 20

// Read reads file, refusing one larger than MaxFileBytes with an error
// that names it. Errors are *Error, so they print as "file: message".
func Read(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("无法读取: %v", err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("无法读取: %v", err)}
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("文件超过 %d MiB，不像配置文件，请检查路径是否写错", MaxFileBytes>>20)}
	}
	return data, nil
}

// ReadFile reads and strictly decodes file into v. v should already hold the
// defaults: fields absent from the file keep them.
func ReadFile(file string, v any) (*Doc, error) {
	data, err := Read(file)
	if err != nil {
		return nil, err
	}
	return Decode(file, data, v)
}

// Decode strictly decodes data (named file in errors) into v: unknown fields,
// duplicate keys, wrong types and trailing documents are errors.
func Decode(file string, data []byte, v any) (*Doc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, translate(file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return nil, translate(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "文件只能包含一个 YAML 文档"}
	}
	return &Doc{File: file, root: &root}, nil
}

// Errorf returns an *Error located at path ("a.b[3].c"); the line is the
// deepest node of path that exists in the file, so a missing field points at
// its parent.
func (d *Doc) Errorf(path, format string, args ...any) error {
	line := 0
	if d != nil {
		line = d.Line(path)
	}
	file := ""
	if d != nil {
		file = d.File
	}
	return &Error{File: file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// Line returns the line of the deepest existing node on path, or 0.
func (d *Doc) Line(path string) int {
	if d == nil || d.root == nil {
		return 0
	}
	n := d.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, step := range splitPath(path) {
		next := child(n, step)
		if next == nil {
			break
		}
		n = next
		line = n.Line
	}
	return line
}

// Written reports whether the file gives path a value: present and not
// null. It tells `key: []`, written on purpose, from an absent or empty key.
func (d *Doc) Written(path string) bool {
	if d == nil || d.root == nil {
		return false
	}
	n := d.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, step := range splitPath(path) {
		if n.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == step {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return false
		}
		n = next
	}
	return n.Tag != "!!null"
}

func child(n *yaml.Node, step string) *yaml.Node {
	if idx, err := strconv.Atoi(step); err == nil && n.Kind == yaml.SequenceNode {
		if idx >= 0 && idx < len(n.Content) {
			return n.Content[idx]
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == step {
			// Point at the key for scalars (that is where the operator looks),
			// at the value for collections so deeper steps can continue.
			v := n.Content[i+1]
			if v.Kind == yaml.ScalarNode {
				k := *n.Content[i]
				k.Kind, k.Content = v.Kind, nil
				return &k
			}
			return v
		}
	}
	return nil
}

// splitPath turns "a.b[3].c" into ["a","b","3","c"].
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i+1:])
				break
			}
			out = append(out, part[i+1:i+j])
			part = part[i+j+1:]
		}
	}
	return out
}

var (
	lineRe     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRe  = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	unmarshRe  = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	alreadyRe  = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	yamlPrefix = "yaml: "
)

// translate turns yaml.v3 errors into located, Chinese *Errors. When a type
// error holds several problems, they are all reported.
func translate(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		errs := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			errs = append(errs, translateOne(file, msg))
		}
		return errors.Join(errs...)
	}
	return translateOne(file, strings.TrimPrefix(err.Error(), yamlPrefix))
}

func translateOne(file, msg string) *Error {
	e := &Error{File: file, Msg: msg}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	switch {
	case unknownRe.MatchString(e.Msg):
		m := unknownRe.FindStringSubmatch(e.Msg)
		e.Field = m[1]
		e.Msg = "未知字段（拼写错误，或该字段不属于这一层）"
	case unmarshRe.MatchString(e.Msg):
		m := unmarshRe.FindStringSubmatch(e.Msg)
		e.Msg = fmt.Sprintf("值的类型不对（写的是%s %s），这里需要 %s", yamlKind(m[1]), m[2], m[3])
	case alreadyRe.MatchString(e.Msg):
		m := alreadyRe.FindStringSubmatch(e.Msg)
		e.Field = m[1]
		e.Msg = fmt.Sprintf("键重复，第 %s 行已定义过", m[2])
	default:
		e.Msg = "YAML 语法错误: " + e.Msg
	}
	return e
}

func yamlKind(tag string) string {
	switch tag {
	case "str":
		return "字符串"
	case "int":
		return "整数"
	case "float":
		return "小数"
	case "bool":
		return "布尔值"
	case "seq":
		return "列表"
	case "map":
		return "映射"
	}
	return tag
}
