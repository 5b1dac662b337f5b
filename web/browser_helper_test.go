package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// The plumbing the browser tests share: starting Debian's headless
// Chromium on a console test server, logging in, the waits on the
// console's pages, the phone-width checks and the screenshots, so that
// each test reads as the walk it makes.

// Widths the console is checked at: the narrowest phone it is made for,
// and an ordinary desktop.
const (
	phoneWidth   = 360
	desktopWidth = 1280
)

// browser is one Chromium tab on a console. Errors the browser logs (a
// CSP violation, a failing script, a 4xx/5xx subresource) fail the test:
// the console must work under its own CSP.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string // the console's URL
	width int
	shots string // where screenshots go

	mu   sync.Mutex
	errs []string
}

// chromiumPath finds Debian's chromium (scripts/install-chromium.sh installs
// it). CI sets YUQING_REQUIRE_BROWSER=1 so a missing browser fails there
// instead of skipping.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("YUQING_REQUIRE_BROWSER") != "" {
		t.Fatal("YUQING_REQUIRE_BROWSER is set but no chromium was found; run scripts/install-chromium.sh")
	}
	t.Skip("skipping browser test: chromium not installed (run scripts/install-chromium.sh)")
	return ""
}

// skipBrowserIfShort skips a browser test in -short mode, before its
// fixture is built.
func skipBrowserIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
}

// newBrowser starts Chromium with a viewport width px wide on the console
// at base. The browser stops at the end of the test, which then fails if
// the browser logged an error. Screenshots go to $YUQING_SCREENSHOTS when
// set, else to a temporary directory.
func newBrowser(t *testing.T, base string, width int) *browser {
	t.Helper()
	skipBrowserIfShort(t)
	bin := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-gpu", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &browser{t: t, ctx: ctx, base: base, width: width, shots: os.Getenv("YUQING_SCREENSHOTS")}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.errs) > 0 {
			t.Errorf("browser logged errors: %q", b.errs)
		}
	})
	chromedp.ListenTarget(ctx, b.listen)
	b.run("start the browser", chromedp.EmulateViewport(int64(width), 900))
	return b
}

// listen records the errors the page logs or throws.
func (b *browser) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.LevelError {
			msg = e.Entry.Text + " " + e.Entry.URL
		}
	case *runtime.EventExceptionThrown:
		msg = e.ExceptionDetails.Error()
	}
	if msg != "" {
		b.mu.Lock()
		b.errs = append(b.errs, msg)
		b.mu.Unlock()
	}
}

// run runs actions in the tab; an error ends the test, naming what was
// being done.
func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// open navigates to a path of the console.
func (b *browser) open(path string) chromedp.Action { return chromedp.Navigate(b.base + path) }

// login opens the login page and signs in as name (password
// "<name>-password", as newAuth sets).
func (b *browser) login(name string) chromedp.Action {
	return chromedp.Tasks{b.open("/login"), signIn(name)}
}

// signIn fills in the login form on the page in view and waits until
// the console shows the signed-in header.
func signIn(name string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, name),
		chromedp.SendKeys(`input[name="password"]`, name+"-password"),
		chromedp.Submit(`input[name="password"]`),
		chromedp.WaitVisible(`form.logout`), // the login page has a main h1 too
	}
}

// stepForm selects the form of an incident's step on its detail page.
func stepForm(number, step string) string {
	return `form[action="/incidents/` + number + `/` + step + `"]`
}

// logHas waits until the incident's event log lists an entry of the given name.
func logHas(name string) chromedp.Action {
	return chromedp.WaitVisible(`//section[@id="log"]//li/strong[text()="`+name+`"]`, chromedp.BySearch)
}

// openMore unfolds 更多操作 on a detail page and waits for sel inside it.
func openMore(sel string) chromedp.Action {
	return chromedp.Tasks{chromedp.Click(`details.more-actions > summary`), chromedp.WaitVisible(sel)}
}

// reachable is a script listing the controls of <main> (links, buttons,
// fields, summaries) that are visible but do not fit inside the viewport's
// width, or are not visible: on a phone every action must be reachable
// without sideways scrolling. Controls inside a closed <details> count as
// reachable once it is opened, so they are skipped.
const reachable = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll('main a, main button, main input, main select, main textarea, main summary')) {
    if (el.type === 'hidden' || el.closest('details:not([open]) > :not(summary)')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right > window.innerWidth + 1 || r.left < -1) {
      bad.push((el.name || el.textContent || el.tagName).trim().slice(0, 20) + ' @' + Math.round(r.left) + '-' + Math.round(r.right));
    }
  }
  return bad;
})()`

// fits checks the page in view: no wider than the screen (no sideways
// scrolling) and every control on it within reach.
func (b *browser) fits(what string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var width int
		var bad []string
		if err := chromedp.Evaluate(`document.documentElement.scrollWidth`, &width).Do(ctx); err != nil {
			return err
		}
		if err := chromedp.Evaluate(reachable, &bad).Do(ctx); err != nil {
			return err
		}
		if width > b.width {
			b.t.Errorf("%s is %d px wide at a %d px screen", what, width, b.width)
		}
		if len(bad) > 0 {
			b.t.Errorf("%s: controls out of reach at %d px: %v", what, b.width, bad)
		}
		return nil
	})
}

// shot keeps a screenshot of the whole page as <name>-<width>.png.
func (b *browser) shot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.shots, name+"-"+strconv.Itoa(b.width)+".png"), png, 0o644)
	})
}

// shown reads the text <main> shows (innerText: what is rendered, not
// what CSS hides).
func shown(text *string) chromedp.Action {
	return chromedp.Evaluate(`document.querySelector('main').innerText`, text)
}

// inNewTab runs open, which opens a link in a new tab (target="_blank"),
// then actions in that tab, and closes it.
func (b *browser) inNewTab(what string, open chromedp.Action, actions ...chromedp.Action) {
	b.t.Helper()
	opened := chromedp.WaitNewTarget(b.ctx, func(*target.Info) bool { return true })
	b.run(what, open)
	var id target.ID
	select {
	case id = <-opened:
	case <-b.ctx.Done():
		b.t.Fatalf("browser: %s: no tab opened: %v", what, b.ctx.Err())
	}
	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	defer closeTab()
	if err := chromedp.Run(tab, actions...); err != nil {
		b.t.Fatalf("browser: %s (in its tab): %v", what, err)
	}
}
