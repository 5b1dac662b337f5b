package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/yuqing-bureau/yuqing/alerting"
	"github.com/yuqing-bureau/yuqing/delivery"
)

// alertForwarder serves POST /alertmanager/wecom/{receiver}: Alertmanager's
// webhook notifications, worded by its own Chinese templates and sent to
// the WeCom group robot of that name in yuqing.yaml (delivery.receivers).
// Alertmanager's wechat_configs reach a WeCom application, not a group
// robot, hence this adapter.
type alertForwarder struct {
	render *alerting.Renderer
	// delivery is the configuration in force (reloads apply at once).
	delivery func() *delivery.Config
	client   *http.Client
	log      *slog.Logger
}

func (f *alertForwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("receiver")
	cfg := f.delivery()
	rc, ok := cfg.Lookup(name)
	if !ok || rc.Kind() != delivery.KindWeCom {
		http.Error(w, fmt.Sprintf("yuqing.yaml 的 delivery.receivers 中没有名为 %s 的企业微信群机器人", name), http.StatusNotFound)
		return
	}
	n, err := alerting.ParseNotification(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	msg, err := f.render.Message(n)
	if err != nil {
		f.log.Error("告警通知渲染失败", "receiver", name, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rcv, err := cfg.Open(name, delivery.Options{HTTPClient: f.client})
	if errors.Is(err, delivery.ErrDisabled) {
		// Not an error for Alertmanager to retry: the robot is a
		// placeholder until configured, the other receivers still deliver.
		f.log.Warn("企业微信群机器人未启用，告警未转发", "receiver", name, "group", n.GroupKey)
		fmt.Fprintln(w, "接收方未启用，未发送")
		return
	}
	if err == nil {
		err = rcv.Send(r.Context(), msg)
	}
	if err != nil {
		f.log.Error("告警转发到企业微信群机器人失败", "receiver", name, "group", n.GroupKey, "err", err)
		http.Error(w, "转发失败："+err.Error(), http.StatusBadGateway)
		return
	}
	f.log.Info("告警已转发到企业微信群机器人", "receiver", name, "status", n.Status, "alerts", len(n.Alerts), "group", n.GroupKey)
	fmt.Fprintln(w, "已发送")
}
