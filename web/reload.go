package web

import (
	"net/http"
)

type reloadPage struct {
	Title   string
	OK      bool
	Message string
	Version string
}

// reload rebuilds rules, dictionary and sources from their files for an
// operator, as SIGHUP does, and shows the outcome: a broken file is named
// with its line and the running set stays.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reload == nil {
		s.fail(w, r, http.StatusNotFound, "本控制台不能重新加载配置", nil)
		return
	}
	page := reloadPage{Title: "重新加载配置"}
	status := http.StatusOK
	if err := s.opts.Reload(); err != nil {
		status, page.Message = http.StatusBadRequest, err.Error()
		audit(r, "config.reload", "", "失败")
	} else {
		page.OK = true
		audit(r, "config.reload", "", "")
	}
	if s.opts.Classifier != nil {
		page.Version = s.opts.Classifier.Engine().Version()
	}
	s.render(w, r, status, "reload", page)
}
