package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yuqing-bureau/yuqing/calendar"
)

// CalendarZone is the zone of the bureau's calendar and office hours, as
// the generated Alertmanager intervals name it (config's time_zone default).
const CalendarZone = "Asia/Shanghai"

// CalendarAlertmanagerOptions configure `yuqing calendar alertmanager`.
type CalendarAlertmanagerOptions struct {
	CalendarFile string
	ConfigFile   string // the Alertmanager configuration holding the block
	Write        bool   // replace the block in ConfigFile
	Check        bool   // fail unless the block in ConfigFile is up to date
	Out          io.Writer
}

// ErrCalendarStale is returned by a check that found the block out of date.
var ErrCalendarStale = errors.New("Alertmanager 配置中的工作时间与工作日历不一致")

// CalendarAlertmanager renders the working time of the calendar as
// Alertmanager time intervals: printed, written into the configuration's
// generated block, or compared with it.
func CalendarAlertmanager(o CalendarAlertmanagerOptions) error {
	if o.Write && o.Check {
		return errors.New("-write 与 -check 只能选一个")
	}
	loc, err := time.LoadLocation(CalendarZone)
	if err != nil {
		return fmt.Errorf("加载时区 %s: %w", CalendarZone, err)
	}
	cal, err := calendar.Load(o.CalendarFile, loc)
	if err != nil {
		return err
	}
	block := cal.Alertmanager()
	if !o.Write && !o.Check {
		_, err := o.Out.Write(block)
		return err
	}
	old, err := os.ReadFile(o.ConfigFile)
	if err != nil {
		return fmt.Errorf("读取 Alertmanager 配置: %w", err)
	}
	if o.Check {
		cur, err := calendar.Block(old)
		if err != nil {
			return fmt.Errorf("%s: %w", o.ConfigFile, err)
		}
		if !bytes.Equal(cur, block) {
			return fmt.Errorf("%w：%s 中的生成内容不是按 %s 生成的，请运行 yuqing calendar alertmanager -write -calendar %s -config %s",
				ErrCalendarStale, o.ConfigFile, o.CalendarFile, o.CalendarFile, o.ConfigFile)
		}
		fmt.Fprintf(o.Out, "%s 中的工作时间与 %s 一致\n", o.ConfigFile, o.CalendarFile)
		return nil
	}
	updated, err := calendar.ReplaceBlock(old, block)
	if err != nil {
		return fmt.Errorf("%s: %w", o.ConfigFile, err)
	}
	if bytes.Equal(updated, old) {
		fmt.Fprintf(o.Out, "%s 中的工作时间已是最新，未改动\n", o.ConfigFile)
		return nil
	}
	info, err := os.Stat(o.ConfigFile)
	if err != nil {
		return fmt.Errorf("读取 Alertmanager 配置: %w", err)
	}
	if err := os.WriteFile(o.ConfigFile, updated, info.Mode().Perm()); err != nil {
		return fmt.Errorf("写入 Alertmanager 配置: %w", err)
	}
	fmt.Fprintf(o.Out, "已按 %s 更新 %s 中的工作时间；请用 amtool check-config 检查后重新加载 Alertmanager\n", o.CalendarFile, o.ConfigFile)
	return nil
}
