// Package configs holds the shipped configuration files. They are embedded
// so `yuqing demo` can lay out a working configuration on a machine that has
// only the binary.
package configs

import "embed"

// FS holds yuqing.yaml, sources.yaml, rules.yaml, the learned model
// rules.yaml names (not model/corpus/, which only training reads), the
// domain dictionary, the working-day calendar and the Prometheus rules.
//
//go:embed yuqing.yaml sources.yaml rules.yaml calendar.yaml dict model/yuqing.model.gz prometheus
var FS embed.FS

// AlertTemplates holds the Chinese notification templates Alertmanager
// renders; the daemon renders the same ones for the alerts it forwards to
// WeCom group robots (alerting.Renderer), so both read alike.
//
//go:embed alertmanager/templates/*.tmpl
var AlertTemplates embed.FS
