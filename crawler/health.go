package crawler

// ErrorKindName is the Chinese name of an error kind (see ErrorKind), for
// the console and command output.
func ErrorKindName(kind string) string {
	switch kind {
	case "":
		return ""
	case ErrorKindLayout:
		return "页面结构不符（网站可能改版）"
	case ErrorKindEncoding:
		return "编码错误"
	case ErrorKindHTTP:
		return "HTTP 错误"
	case ErrorKindRetryLater:
		return "网站要求稍后再试"
	case ErrorKindRobots:
		return "robots.txt 禁止抓取"
	case ErrorKindTruncated:
		return "页面超过大小上限"
	case ErrorKindOffHost:
		return "链接不在本站"
	case ErrorKindBudget:
		return "超出单次抓取时间预算"
	case ErrorKindStore:
		return "保存失败（本系统数据库）"
	}
	return "网络错误"
}
