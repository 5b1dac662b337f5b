package crawler

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText renders an HTML fragment as readable plain text: block
// elements and <br> become line breaks, table cells are separated by spaces,
// scripts, styles and hidden anti-copy noise (Discuz "jammer" text) are
// dropped, whitespace is collapsed and empty lines removed. Markup never
// reaches the store through this.
func HTMLToText(fragment string) string {
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return collapseText(fragment)
	}
	var w textWriter
	for _, n := range nodes {
		w.walk(n)
	}
	return w.String()
}

// nodeText renders one parsed node (and its subtree) like HTMLToText.
func nodeText(n *html.Node) string {
	var w textWriter
	w.walk(n)
	return w.String()
}

var (
	newlineToSpace = strings.NewReplacer("\r", " ", "\n", " ")
	invisibles     = strings.NewReplacer("\u200b", "", "\ufeff", "", "\u200c", "", "\u200d", "", "\r\n", "\n", "\r", "\n")
)

type textWriter struct {
	b   strings.Builder
	pre int
}

var skipElems = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Svg: true,
	atom.Canvas: true, atom.Head: true, atom.Select: true, atom.Textarea: true,
	atom.Button: true, atom.Input: true, atom.Math: true,
}

var blockElems = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Body: true, atom.Center: true, atom.Dd: true, atom.Details: true, atom.Dialog: true,
	atom.Div: true, atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true,
	atom.Figure: true, atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true,
	atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true,
	atom.Tbody: true, atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Ul: true,
	atom.Caption: true, atom.Html: true,
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if w.pre > 0 {
			w.b.WriteString(n.Data)
		} else {
			// Source line breaks render as spaces outside <pre>.
			w.b.WriteString(newlineToSpace.Replace(n.Data))
		}
		return
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.walk(c)
		}
		return
	case html.ElementNode:
	default:
		return
	}
	if skipElems[n.DataAtom] || hiddenNoise(n) {
		return
	}
	switch {
	case n.DataAtom == atom.Br:
		w.b.WriteByte('\n')
		return
	case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
		w.b.WriteByte(' ')
	case blockElems[n.DataAtom]:
		w.b.WriteByte('\n')
	}
	if n.DataAtom == atom.Pre {
		w.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if n.DataAtom == atom.Pre {
		w.pre--
	}
	switch {
	case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
		w.b.WriteByte(' ')
	case blockElems[n.DataAtom]:
		w.b.WriteByte('\n')
	}
}

// hiddenNoise reports elements a reader never sees: display:none, the
// hidden attribute, and Discuz's anti-copy "jammer" and edit-status lines.
func hiddenNoise(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "style":
			st := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		case "class":
			for _, c := range strings.Fields(a.Val) {
				if c == "jammer" || c == "pstatus" {
					return true
				}
			}
		}
	}
	return false
}

func (w *textWriter) String() string { return collapseText(w.b.String()) }

// collapseText collapses whitespace inside each line, trims lines, drops
// empty ones and zero-width characters.
func collapseText(s string) string {
	s = invisibles.Replace(s)
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// cutRunes returns s cut to at most n characters (at a rune boundary) and
// how many characters s had; whole is true when nothing was cut.
func cutRunes(s string, n int) (cut string, chars int, whole bool) {
	if len(s) <= n { // n bytes hold at most n characters
		return s, utf8.RuneCountInString(s), true
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i == len(s) {
		return s, count, true
	}
	return s[:i], count + utf8.RuneCountInString(s[i:]), false
}
