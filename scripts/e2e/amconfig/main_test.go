package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

const shipped = "../../../configs/alertmanager/alertmanager.yml"

var timings = Timings{GroupWait: "1s", GroupInterval: "5s", RepeatInterval: "1h"}

func TestRewriteShippedConfig(t *testing.T) {
	src, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs(filepath.Dir(shipped))
	out, err := Rewrite(src, dir, "http://127.0.0.1:9099/", timings, Forward{})
	if err != nil {
		t.Fatal(err)
	}
	var orig, got map[string]any
	if err := yaml.Unmarshal(src, &orig); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}

	// Every receiver keeps its name and delivers only to the loopback hook.
	origRcvs, gotRcvs := orig["receivers"].([]any), got["receivers"].([]any)
	if len(gotRcvs) != len(origRcvs) {
		t.Fatalf("%d receivers, want %d", len(gotRcvs), len(origRcvs))
	}
	for i, r := range gotRcvs {
		name := origRcvs[i].(map[string]any)["name"].(string)
		want := map[string]any{"name": name, "webhook_configs": []any{
			map[string]any{"url": "http://127.0.0.1:9099/" + name, "send_resolved": true}}}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("receiver %d = %v, want %v", i, r, want)
		}
	}

	// Routing and inhibition are unchanged apart from the timings.
	if !reflect.DeepEqual(got["inhibit_rules"], orig["inhibit_rules"]) {
		t.Errorf("inhibit_rules changed: %v", got["inhibit_rules"])
	}
	// Time intervals are dropped: the test delivers at any hour.
	if _, ok := orig["time_intervals"]; !ok {
		t.Error("the shipped configuration has no time_intervals: update this test")
	}
	if _, ok := got["time_intervals"]; ok {
		t.Error("time_intervals kept")
	}
	intervals := 0
	var walk func(o, g map[string]any, path string)
	walk = func(o, g map[string]any, path string) {
		for k, v := range o {
			switch k {
			case "active_time_intervals", "mute_time_intervals":
				intervals++
				if _, ok := g[k]; ok {
					t.Errorf("%s.%s kept", path, k)
				}
			case "group_wait", "group_interval", "repeat_interval":
				want := map[string]string{"group_wait": "1s", "group_interval": "5s", "repeat_interval": "1h"}[k]
				if g[k] != want {
					t.Errorf("%s.%s = %v, want %s", path, k, g[k], want)
				}
			case "routes":
				oc, gc := v.([]any), g["routes"].([]any)
				if len(oc) != len(gc) {
					t.Fatalf("%s: %d child routes, want %d", path, len(gc), len(oc))
				}
				for i := range oc {
					walk(oc[i].(map[string]any), gc[i].(map[string]any), path+".routes")
				}
			default:
				if !reflect.DeepEqual(g[k], v) {
					t.Errorf("%s.%s = %v, want %v", path, k, g[k], v)
				}
			}
		}
	}
	walk(orig["route"].(map[string]any), got["route"].(map[string]any), "route")
	if intervals == 0 {
		t.Error("no route of the shipped configuration refers to a time interval: update this test")
	}

	// Template globs are absolute and still find the templates.
	for _, p := range got["templates"].([]any) {
		s := p.(string)
		if !filepath.IsAbs(s) {
			t.Errorf("template path %q is not absolute", s)
		}
		if m, _ := filepath.Glob(s); len(m) == 0 {
			t.Errorf("template glob %q matches nothing", s)
		}
	}
	if g, _ := got["global"].(map[string]any); len(g) != 1 || g["resolve_timeout"] == nil {
		t.Errorf("global = %v, want only resolve_timeout", g)
	}
}

func TestRewriteRefusesNonLoopbackHook(t *testing.T) {
	src := []byte("route: {receiver: a}\nreceivers: [{name: a}]\n")
	for _, hook := range []string{"http://192.0.2.1:9099", "http://example.com/", "https://127.0.0.1:1", "127.0.0.1:9099"} {
		if _, err := Rewrite(src, "/", hook, timings, Forward{}); err == nil {
			t.Errorf("hook %q accepted", hook)
		}
		if _, err := Rewrite(src, "/", "http://127.0.0.1:9099", timings, Forward{URL: hook}); err == nil {
			t.Errorf("forwarder %q accepted", hook)
		}
	}
	if _, err := Rewrite(src, "/", "http://127.0.0.1:9099", timings, Forward{}); err != nil {
		t.Errorf("loopback hook refused: %v", err)
	}
}

// TestRewriteKeepsForwarders: with a daemon under test, the receivers
// whose shipped webhooks go to its WeCom forwarder (宣传科, 信访科) keep
// them, aimed at that daemon with its token file; the others do not get one.
func TestRewriteKeepsForwarders(t *testing.T) {
	src, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Rewrite(src, "/", "http://127.0.0.1:9099", timings, Forward{URL: "http://127.0.0.1:8123/", TokenFile: "/tmp/t/token"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	forwarded := map[string]string{}
	for _, r := range got["receivers"].([]any) {
		m := r.(map[string]any)
		hooks := m["webhook_configs"].([]any)
		for _, h := range hooks[1:] {
			hm := h.(map[string]any)
			auth := hm["http_config"].(map[string]any)["authorization"].(map[string]any)
			if auth["credentials_file"] != "/tmp/t/token" || hm["send_resolved"] != true {
				t.Errorf("%s: forwarder %v", m["name"], hm)
			}
			forwarded[m["name"].(string)] = hm["url"].(string)
		}
	}
	want := map[string]string{
		"yuqing-xuanchuan": "http://127.0.0.1:8123/alertmanager/wecom/xuanchuan",
		"yuqing-xinfang":   "http://127.0.0.1:8123/alertmanager/wecom/xinfang",
	}
	if !reflect.DeepEqual(forwarded, want) {
		t.Errorf("forwarders %v, want %v", forwarded, want)
	}
}
