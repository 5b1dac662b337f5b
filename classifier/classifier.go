package classifier

import "sync/atomic"

// Classifier grades with the current Engine and lets a reload swap in a new
// one atomically: each Grade sees one consistent rule set, and no segmenter
// is ever modified while another goroutine cuts with it.
type Classifier struct {
	cur atomic.Pointer[Engine]
}

// New returns a Classifier that starts with e.
func New(e *Engine) *Classifier {
	c := &Classifier{}
	c.cur.Store(e)
	return c
}

// Grade grades p with the current Engine.
func (c *Classifier) Grade(p Post) Result { return c.cur.Load().Grade(p) }

// Engine returns the current Engine.
func (c *Classifier) Engine() *Engine { return c.cur.Load() }

// Swap installs e and returns the Engine it replaced.
func (c *Classifier) Swap(e *Engine) (old *Engine) { return c.cur.Swap(e) }
