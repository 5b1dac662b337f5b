// Package auth secures the console: accounts with roles, slow password
// hashes (argon2id), login sessions, API tokens for automation, login rate
// limiting and the append-only audit log. It holds the rules; the store
// keeps the records (store.AuthStore) and package web speaks HTTP.
package auth

import (
	"fmt"
	"slices"
)

// InputError is a mistake in what a person typed (name, password, role):
// the message is meant for them.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func invalid(format string, args ...any) error { return &InputError{Msg: fmt.Sprintf(format, args...)} }

// Role is what an account may do. Each role includes the ones before it.
type Role string

const (
	// RoleViewer reads incident lists and details, with personal data
	// masked, and the source-health (/sources) and false-positive
	// statistics (/rules/false-positives) pages, which hold no personal
	// data and help publicity and petition staff judge the feed.
	RoleViewer Role = "viewer"
	// RoleHandler also acts on incidents (签收, 分派, 跟进, 办结, ...) and sees full text.
	RoleHandler Role = "handler"
	// RoleOperator also uses the rule try-out page (/try) and reloads the
	// configuration (POST /-/reload).
	RoleOperator Role = "operator"
	// RoleAdmin also manages accounts and tokens and reads the audit log.
	RoleAdmin Role = "admin"
)

// Roles lists the roles from least to most privileged.
var Roles = []Role{RoleViewer, RoleHandler, RoleOperator, RoleAdmin}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", invalid("未知角色 %q，可选 viewer（查看）、handler（经办）、operator（运维）、admin（管理员）", s)
	}
	return r, nil
}

func (r Role) rank() int { return slices.Index(Roles, r) }

// AtLeast reports whether r includes the rights of min. An unknown role has none.
func (r Role) AtLeast(min Role) bool {
	return r.rank() >= 0 && r.rank() >= min.rank()
}

// SeesFullText reports whether the role may read unmasked personal data
// (the incident detail page): handlers and above.
func (r Role) SeesFullText() bool { return r.AtLeast(RoleHandler) }

// Name is the role's Chinese name.
func (r Role) Name() string {
	switch r {
	case RoleViewer:
		return "查看员"
	case RoleHandler:
		return "经办人"
	case RoleOperator:
		return "运维员"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}
