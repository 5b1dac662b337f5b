package app

import (
	"strings"
	"testing"
)

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://yuqing:s3cret@db:5432/yuqing?sslmode=disable":     "postgres://yuqing:xxxxx@db:5432/yuqing?sslmode=disable",
		"postgres://yuqing@db/yuqing?password=s3cret&sslmode=require": "postgres://yuqing@db/yuqing?password=xxxxx&sslmode=require",
		"host=db user=yuqing password=s3cret dbname=yuqing":           "host=db user=yuqing password=xxxxx dbname=yuqing",
		"host=db password = 'a b\\'c' dbname=yuqing":                  "host=db password = xxxxx dbname=yuqing",
		"postgres://yuqing@db/yuqing":                                 "postgres://yuqing@db/yuqing",
	} {
		if got := redactDSN(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
