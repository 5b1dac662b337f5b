// Package configs holds the shipped configuration files. They are embedded
// so `yuqing demo` can lay out a working configuration on a machine that has
// only the binary.
package configs

import "embed"

// FS holds yuqing.yaml, sources.yaml, rules.yaml, the learned model
// rules.yaml names (model/), the domain dictionary, the working-day
// calendar and the Prometheus rules.
//
//go:embed yuqing.yaml sources.yaml rules.yaml calendar.yaml dict model prometheus
var FS embed.FS
