// Package delivery sends the daemon's messages (reports, forwarded alerts)
// to the bureau's receivers: WeCom group robots (the webhook protocol:
// markdown, file upload, file message) and e-mail over SMTP with the files
// attached. Each receiver is named in yuqing.yaml (delivery.receivers);
// callers address it by name and never see keys or passwords. A failed
// attempt that may pass later (network, rate limit, 4xx SMTP reply) is
// retried with backoff inside the caller's context; a refusal (bad key,
// bad address) is not.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one delivery.
type Message struct {
	// Subject is the e-mail subject and the bold first line in WeCom.
	Subject string
	// Text is the Chinese summary in the Markdown WeCom robots render
	// (**bold**, [link](url), > quote); e-mail carries it as plain text,
	// where it reads the same.
	Text  string
	Files []File
}

// File is an attachment: the report itself (DOCX, XLSX).
type File struct {
	// Name is what recipients see, Chinese allowed: 医保舆情日报（2026-11-23）.docx.
	Name string
	// ContentType of the data; empty: guessed from Name's extension.
	ContentType string
	Data        []byte
}

// Content types of the report formats.
const (
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Receiver delivers messages to one configured destination.
type Receiver interface {
	Name() string
	Send(ctx context.Context, m Message) error
}

// transientError marks a failure that may pass on a later attempt.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// transient marks err as worth another attempt.
func transient(err error) error { return &transientError{err} }

// Transient reports whether err may pass on a later attempt (after every
// attempt failed, the caller may queue the message for later).
func Transient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// Retry paces the attempts at one delivery.
type Retry struct {
	// Attempts is the number of tries in all (1: no retry).
	Attempts int `yaml:"attempts"`
	// Initial is the wait before the second try; each later wait doubles,
	// up to Max.
	Initial time.Duration `yaml:"initial"`
	Max     time.Duration `yaml:"max"`
	// Timeout bounds one try (connect, upload, reply).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultRetry is the retry policy when yuqing.yaml sets none: about 15
// seconds of retries, within the minute a forwarded alert may take.
var DefaultRetry = Retry{Attempts: 4, Initial: 2 * time.Second, Max: 30 * time.Second, Timeout: 30 * time.Second}

// do runs f until it succeeds, fails for good, the attempts are used up or
// ctx ends; each try has its own timeout.
func (p Retry) do(ctx context.Context, f func(ctx context.Context) error) error {
	wait := p.Initial
	for attempt := 1; ; attempt++ {
		tryCtx, cancel := context.WithTimeout(ctx, p.Timeout)
		err := f(tryCtx)
		cancel()
		if err == nil || !Transient(err) {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("已尝试 %d 次：%w", attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("已尝试 %d 次，停止重试（%v）：%w", attempt, context.Cause(ctx), err)
		case <-t.C:
		}
		wait = min(2*wait, p.Max)
	}
}
