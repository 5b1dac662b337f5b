package learn

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// softmaxProblem is L2-regularised multinomial logistic regression:
// mean cross-entropy (optionally class-weighted) plus l2/2·‖W‖², biases
// unpenalised. Parameters are K rows of dim weights, then K biases.
//
// Every sum runs in example order, one goroutine, with explicit float64
// conversions where the compiler could fuse a multiply-add: the same data
// give the same weights.
type softmaxProblem struct {
	xs     []vector
	ys     []int
	w      []float64 // per-example weight, mean 1
	k, dim int
	l2     float64
}

func (p *softmaxProblem) nparams() int { return p.k*p.dim + p.k }

// logits writes the K class scores of x under params into z.
func logits(params []float64, k, dim int, x vector, z []float64) {
	for c := 0; c < k; c++ {
		row := params[c*dim : (c+1)*dim]
		s := params[k*dim+c]
		for j, i := range x.idx {
			s += float64(row[i] * x.val[j])
		}
		z[c] = s
	}
}

// softmax turns scores into probabilities in place.
func softmax(z []float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	var sum float64
	for i, v := range z {
		z[i] = math.Exp(v - m)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// eval returns the objective and, if grad is not nil, writes its gradient.
func (p *softmaxProblem) eval(params, grad []float64) float64 {
	k, dim := p.k, p.dim
	if grad != nil {
		for i := range grad {
			grad[i] = 0
		}
	}
	z := make([]float64, k)
	var loss float64
	n := float64(len(p.xs))
	for e, x := range p.xs {
		logits(params, k, dim, x, z)
		softmax(z)
		loss -= p.w[e] * math.Log(max(z[p.ys[e]], 1e-300))
		if grad == nil {
			continue
		}
		for c := 0; c < k; c++ {
			d := z[c]
			if c == p.ys[e] {
				d -= 1
			}
			d *= p.w[e] / n
			row := grad[c*dim : (c+1)*dim]
			for j, i := range x.idx {
				row[i] += float64(d * x.val[j])
			}
			grad[k*dim+c] += d
		}
	}
	loss /= n
	var reg float64
	for i := 0; i < k*dim; i++ {
		reg += float64(params[i] * params[i])
		if grad != nil {
			grad[i] += float64(p.l2 * params[i])
		}
	}
	return loss + p.l2/2*reg
}

// maxIterations bounds LBFGS; the data here converge in far fewer.
const maxIterations = 1000

// fit minimises the problem from zero with gonum's LBFGS and returns the
// parameters. No time limit: stopping depends only on the numbers.
func (p *softmaxProblem) fit() ([]float64, error) {
	prob := optimize.Problem{
		Func: func(x []float64) float64 { return p.eval(x, nil) },
		Grad: func(grad, x []float64) { p.eval(x, grad) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-7,
		MajorIterations:   maxIterations,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-10, Iterations: 25},
	}
	res, err := optimize.Minimize(prob, make([]float64, p.nparams()), settings, &optimize.LBFGS{Store: 10})
	if res == nil {
		return nil, fmt.Errorf("优化失败: %w", err)
	}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("优化失败：权重出现 NaN 或无穷大")
		}
	}
	// A line search that can no longer move is gonum's way of saying the
	// optimum is reached within float precision; anything else failed.
	if err != nil && res.Status != optimize.IterationLimit && !isLinesearchStall(err) {
		return nil, fmt.Errorf("优化失败（%v）: %w", res.Status, err)
	}
	return res.X, nil
}

func isLinesearchStall(err error) bool {
	return errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress)
}
