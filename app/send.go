package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/yuqing-bureau/yuqing/config"
	"github.com/yuqing-bureau/yuqing/delivery"
)

// SendOptions configure `yuqing send`.
type SendOptions struct {
	ConfigFile string
	To         string // a receiver's name in delivery.receivers
	Subject    string
	Text       string
	Files      []string // attached under their base names
	Out        io.Writer
}

// Send delivers one message to a configured receiver, so an operator can
// try a robot key or a mail server before reports and alerts rely on it.
func Send(ctx context.Context, o SendOptions) error {
	cfg, err := config.Load(o.ConfigFile)
	if err != nil {
		return err
	}
	r, err := cfg.Delivery.Open(o.To, delivery.Options{})
	if err != nil {
		return err
	}
	m := delivery.Message{Subject: o.Subject, Text: o.Text}
	for _, p := range o.Files {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("读取附件: %w", err)
		}
		m.Files = append(m.Files, delivery.File{Name: filepath.Base(p), Data: data})
	}
	if err := r.Send(ctx, m); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "已发送到 %s（%d 个附件）\n", o.To, len(m.Files))
	return nil
}
