package postgres

import (
	"strings"
	"testing"
)

// TestDescribeDSNNeverShowsThePassword: what `yuqing check` prints of a
// PostgreSQL DSN, in every form pgx accepts.
func TestDescribeDSNNeverShowsThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://yuqing:s3cret@db:5432/yuqing?sslmode=disable":     "postgres://yuqing@db:5432/yuqing",
		"postgres://yuqing@db/yuqing?password=s3cret&sslmode=require": "postgres://yuqing@db:5432/yuqing",
		"postgres://yuqing:s3#cr3t@db/yuqing":                         "postgres://yuqing@db:5432/yuqing",
		"host=db user=yuqing PASSWORD=s3cret dbname=yuqing":           "postgres://yuqing@db:5432/yuqing",
		"host=db user=yuqing password = 's3 cret' dbname=yuqing":      "postgres://yuqing@db:5432/yuqing",
		"host=db port=abc password=s3cret":                            "（连接串无法解析）",
	} {
		if got := DescribeDSN(in); got != want || strings.Contains(got, "s3") {
			t.Errorf("DescribeDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
