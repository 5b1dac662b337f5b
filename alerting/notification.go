package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/yuqing-bureau/yuqing/configs"
	"github.com/yuqing-bureau/yuqing/delivery"
	"github.com/yuqing-bureau/yuqing/privacy"
)

// Notification is what Alertmanager's webhook receiver posts (payload
// version 4): the template data its own notifiers render, plus the group
// key and how many alerts max_alerts left out.
type Notification struct {
	Version         string `json:"version"`
	GroupKey        string `json:"groupKey"`
	TruncatedAlerts int    `json:"truncatedAlerts"`
	TemplateData
}

// TemplateData mirrors Alertmanager's template.Data, field for field, so
// its templates run here unchanged.
type TemplateData struct {
	Receiver          string `json:"receiver"`
	Status            string `json:"status"`
	Alerts            Alerts `json:"alerts"`
	GroupLabels       KV     `json:"groupLabels"`
	CommonLabels      KV     `json:"commonLabels"`
	CommonAnnotations KV     `json:"commonAnnotations"`
	ExternalURL       string `json:"externalURL"`
}

// KV is a label or annotation set.
type KV map[string]string

// Alert is one alert of a notification.
type Alert struct {
	Status       string    `json:"status"`
	Labels       KV        `json:"labels"`
	Annotations  KV        `json:"annotations"`
	StartsAt     time.Time `json:"startsAt"`
	EndsAt       time.Time `json:"endsAt"`
	GeneratorURL string    `json:"generatorURL"`
	Fingerprint  string    `json:"fingerprint"`
}

// Alerts is a notification's alerts; templates call Firing and Resolved.
type Alerts []Alert

// Firing returns the alerts still firing.
func (as Alerts) Firing() []Alert { return as.with("firing") }

// Resolved returns the alerts resolved.
func (as Alerts) Resolved() []Alert { return as.with("resolved") }

func (as Alerts) with(status string) []Alert {
	out := []Alert{}
	for _, a := range as {
		if a.Status == status {
			out = append(out, a)
		}
	}
	return out
}

// maxNotificationBytes bounds a posted notification; with max_alerts: 20
// one is a few tens of KB.
const maxNotificationBytes = 1 << 20

// ParseNotification decodes and checks a webhook payload.
func ParseNotification(r io.Reader) (*Notification, error) {
	var n Notification
	dec := json.NewDecoder(io.LimitReader(r, maxNotificationBytes+1))
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("告警通知不是有效的 JSON：%w", err)
	}
	switch {
	case n.Version != "4":
		return nil, fmt.Errorf("告警通知版本为 %q，只支持 Alertmanager 的第 4 版", n.Version)
	case n.Status != "firing" && n.Status != "resolved":
		return nil, fmt.Errorf("告警通知状态 %q 无效", n.Status)
	case len(n.Alerts) == 0:
		return nil, errors.New("告警通知中没有告警")
	}
	return &n, nil
}

// Renderer words notifications with the templates Alertmanager uses
// (configs/alertmanager/templates), so a WeCom robot gets the very text
// of the e-mails: Chinese only, personal data masked.
type Renderer struct {
	t *template.Template
}

// templateFuncs are the functions of Alertmanager's templates that ours
// call, with its semantics.
var templateFuncs = template.FuncMap{
	"match": regexp.MatchString,
	"reReplaceAll": func(pattern, repl, text string) string {
		return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
	},
}

// NewRenderer parses the embedded templates.
func NewRenderer() (*Renderer, error) {
	t, err := template.New("").Option("missingkey=zero").Funcs(templateFuncs).
		ParseFS(configs.AlertTemplates, "alertmanager/templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("解析告警通知模板: %w", err)
	}
	return &Renderer{t: t}, nil
}

// Message renders n as Alertmanager's e-mail would read: the subject
// (yuqing.subject) and the text (yuqing.text), masked once more in case
// an alert came from elsewhere with a number in it.
func (r *Renderer) Message(n *Notification) (delivery.Message, error) {
	subject, err := r.execute("yuqing.subject", &n.TemplateData)
	if err != nil {
		return delivery.Message{}, err
	}
	text, err := r.execute("yuqing.text", &n.TemplateData)
	if err != nil {
		return delivery.Message{}, err
	}
	if n.TruncatedAlerts > 0 {
		text += fmt.Sprintf("\n另有 %d 条告警未列出，请在控制台查看。", n.TruncatedAlerts)
	}
	return delivery.Message{Subject: privacy.Mask(strings.TrimSpace(subject)), Text: privacy.Mask(text)}, nil
}

func (r *Renderer) execute(name string, data *TemplateData) (string, error) {
	var b strings.Builder
	if err := r.t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("渲染告警通知模板 %s: %w", name, err)
	}
	return b.String(), nil
}
