package sqldb

import "testing"

func TestRebind(t *testing.T) {
	pg := &Dialect{Numbered: true}
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE x = ? AND y = ?`:                `SELECT a FROM t WHERE x = $1 AND y = $2`,
		`VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET c = ?2`: `VALUES ($1, $2, $3) ON CONFLICT DO UPDATE SET c = $2`,
		`SELECT ?2, ?`: `SELECT $2, $3`, // as SQLite: one more than the largest
		`SELECT '?', "a?b", ? -- it's ?` + "\n" + `, ?`: `SELECT '?', "a?b", $1 -- it's ?` + "\n" + `, $2`,
		`SELECT 'it''s ?', ? /* ? ' */ , ?`:             `SELECT 'it''s ?', $1 /* ? ' */ , $2`,
		`SELECT 'unclosed ?`:                            `SELECT 'unclosed ?`,
		`SELECT ?10`:                                    `SELECT $10`,
	} {
		if got := pg.rebind(in); got != want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", in, got, want)
		}
		if got := pg.rebind(in); got != want { // cached
			t.Errorf("cached rebind(%q) = %q", in, got)
		}
	}
	sqlite := &Dialect{}
	if q := `SELECT ?, ?1`; sqlite.rebind(q) != q {
		t.Error("SQLite placeholders were rewritten")
	}
}
