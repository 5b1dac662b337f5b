package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/yuqing-bureau/yuqing/classifier"
	"github.com/yuqing-bureau/yuqing/config"
)

// Check loads everything the daemon would load at start and reports what
// it found. It returns the first layer of errors, each naming file and line.
func Check(configFile string, out io.Writer) error {
	cfg, err := config.Load(configFile)
	if err != nil {
		return err
	}
	eng, err := classifier.Load(cfg.RulesFile, cfg.DictDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "配置检查通过：%s\n", cfg.File)
	fmt.Fprintf(out, "  数据源 %d 个（%s）\n", len(cfg.Sources), cfg.SourcesFile)
	for _, s := range cfg.Sources {
		fmt.Fprintf(out, "    - %s（%s，%s，每 %s）\n", s.Name, s.Title, s.Kind, s.Interval)
	}
	fmt.Fprintf(out, "  研判规则 %s，版本 %s\n", cfg.RulesFile, eng.Version())
	fmt.Fprintf(out, "  数据库 %s（%s）\n", cfg.Store.Path, cfg.Store.Driver)
	fmt.Fprintf(out, "  监听 %s，控制台地址 %s\n", cfg.Listen, cfg.ExternalURL)
	return nil
}

// ClassifyOptions configure `yuqing classify`.
type ClassifyOptions struct {
	RulesFile string
	DictDir   string // "": the dict directory beside the rules file
	In        io.Reader
	Out       io.Writer
	Err       io.Writer
}

// Classify grades JSON lines; it returns the number of malformed lines.
func Classify(ctx context.Context, o ClassifyOptions) (int, error) {
	if o.DictDir == "" {
		o.DictDir = filepath.Join(filepath.Dir(o.RulesFile), "dict")
	}
	eng, err := classifier.Load(o.RulesFile, o.DictDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	return classifier.Classify(ctx, eng, o.In, o.Out, o.Err)
}
