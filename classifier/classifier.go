package classifier

import (
	"sync/atomic"
	"time"
)

// DefaultBudget is the time a Classifier gives one post unless told
// otherwise: a dense 800,000-character post grades in about 0.6 s on an
// idle core (its segmentation, which the budget watches, in 0.3 s), so the
// budget only cuts what is longer still, or a machine that is badly
// overloaded.
const DefaultBudget = 2 * time.Second

// Classifier grades with the current Engine and lets a reload swap in a new
// one atomically: each Grade sees one consistent rule set, and no segmenter
// is ever modified while another goroutine cuts with it.
type Classifier struct {
	cur    atomic.Pointer[Engine]
	budget time.Duration
}

// New returns a Classifier that starts with e and gives each post
// DefaultBudget.
func New(e *Engine) *Classifier { return NewWithBudget(e, DefaultBudget) }

// NewWithBudget returns a Classifier that starts with e and grades each
// post within about budget (Engine.GradeWithin; 0 means no limit), so that
// one huge post cannot hold up the posts behind it.
func NewWithBudget(e *Engine, budget time.Duration) *Classifier {
	c := &Classifier{budget: max(budget, 0)}
	c.cur.Store(e)
	return c
}

// Grade grades p with the current Engine within the budget.
func (c *Classifier) Grade(p Post) Result { return c.cur.Load().GradeWithin(p, c.budget) }

// Engine returns the current Engine.
func (c *Classifier) Engine() *Engine { return c.cur.Load() }

// Swap installs e and returns the Engine it replaced.
func (c *Classifier) Swap(e *Engine) (old *Engine) { return c.cur.Swap(e) }
