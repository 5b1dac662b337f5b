package loopback_test

import (
	"testing"

	"github.com/yuqing-bureau/yuqing/scripts/e2e/internal/loopback"
)

func TestListenLoopbackOnly(t *testing.T) {
	ln, err := loopback.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:80", "nonsense"} {
		if ln, err := loopback.Listen(addr); err == nil {
			ln.Close()
			t.Errorf("listening on %q was accepted", addr)
		}
	}
}
