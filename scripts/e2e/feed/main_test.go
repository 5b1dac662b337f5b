package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func TestMajorPostAppearsAtRelease(t *testing.T) {
	start := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	now := start
	var served, released []time.Time
	f := &feed{now: func() time.Time { return now }, start: start,
		served:   func(t time.Time) { served = append(served, t) },
		released: func(t time.Time) { released = append(released, t) }}
	srv := httptest.NewServer(f)
	defer srv.Close()

	fetch := func() *gofeed.Feed {
		t.Helper()
		resp, err := http.Get(srv.URL + "/rss.xml")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		parsed, err := gofeed.NewParser().ParseString(string(body))
		if err != nil {
			t.Fatalf("feed does not parse: %v\n%s", err, body)
		}
		return parsed
	}

	before := fetch()
	if len(before.Items) != 1 || strings.Contains(before.Items[0].Title, "故障") {
		t.Fatalf("before release: %d items (%v), want only the ordinary post", len(before.Items), before.Items)
	}
	if len(served) != 0 || len(released) != 0 {
		t.Fatalf("served %v / released %v recorded before release", served, released)
	}

	// Released on request; a second request changes nothing.
	now = start.Add(15 * time.Second)
	release := func() string {
		t.Helper()
		resp, err := http.Post(srv.URL+"/-/release", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(body))
	}
	want := strconv.FormatInt(now.UnixMilli(), 10)
	if got := release(); got != want {
		t.Errorf("release answered %q, want %s", got, want)
	}
	now = start.Add(18 * time.Second)
	if got := release(); got != want {
		t.Errorf("second release answered %q, want the first release time %s", got, want)
	}
	if len(released) != 1 || !released[0].Equal(start.Add(15*time.Second)) {
		t.Errorf("released = %v, want once at the first request", released)
	}

	now = start.Add(20 * time.Second)
	after := fetch()
	if len(after.Items) != 2 {
		t.Fatalf("after release: %d items, want 2", len(after.Items))
	}
	major := after.Items[1]
	if !strings.Contains(major.Title, "全市结算中断") || major.PublishedParsed == nil ||
		!major.PublishedParsed.Equal(start.Add(15*time.Second)) {
		t.Errorf("major item = %q published %v, want the outage post dated at release", major.Title, major.PublishedParsed)
	}
	if !strings.HasPrefix(major.Link, srv.URL+"/news/") {
		t.Errorf("major link %q is not on the fixture", major.Link)
	}

	now = start.Add(80 * time.Second)
	fetch()
	if len(served) != 1 || !served[0].Equal(start.Add(20*time.Second)) {
		t.Errorf("served = %v, want exactly the first response after release", served)
	}

	resp, err := http.Get(srv.URL + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", resp.StatusCode)
	}
}
