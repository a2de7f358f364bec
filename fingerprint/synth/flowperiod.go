package synth

import "math"

// A ridge pattern of period λ along a field of unit ridge tangents t can run without any
// minutia only if its wave vector (2π/λ)·n (n ⟂ t) is a gradient, that is if
// div(t/λ) = 0, or
//
//	t·∇(ln λ) = div t:
//
// where the flow lines spread (div t > 0 along t), the period must grow in proportion, or
// ridges must be inserted. A grown pattern with a period that ignores the flow inserts
// them, and these minutiae — the bulk of a grown master's — sit and point the same way in
// every finger of a class: impostors then agree far more than real ones. Real skin lets
// the ridge spacing follow the flow in part. flowLogPeriod solves the equation above in
// the least-squares sense on a coarse grid, so that NewMaster can let the period follow
// the flow by a random fraction per finger.

// flowCell is the grid step (px) of the solve: the flow varies slowly on this scale.
const flowCell = 8

// flowSingular is the distance (px) from a singular point within which the period does
// not try to follow the flow.
const flowSingular = 12

// flowLogPeriod returns u = ln λ − mean (over the finger), per pixel, such that the
// period λ ∝ exp(u) lets ridges follow om's flow without forced minutiae, as far as a
// smooth u can; u is 0 near singular points, where no smooth period can.
func flowLogPeriod(om *orientationModel, mask []bool, w, h int) []float32 {
	gw, gh := w/flowCell+1, h/flowCell+1
	n := gw * gh
	tx, ty := make([]float64, n), make([]float64, n)
	for j := range gh {
		for i := range gw {
			c2, s2 := om.doubled(float64(i*flowCell), float64(j*flowCell))
			phi := math.Atan2(s2, c2) / 2
			tx[j*gw+i], ty[j*gw+i] = math.Cos(phi), math.Sin(phi)
		}
	}
	inside := func(i, j int) bool {
		x, y := min(w-1, i*flowCell), min(h-1, j*flowCell)
		return mask[y*w+x]
	}
	// weight of each cell's equation: 0 outside the finger, at the grid border and near
	// singular points (where t turns fast and div t is meaningless on the grid)
	wt := make([]float64, n)
	div := make([]float64, n)
	for j := 1; j < gh-1; j++ {
		for i := 1; i < gw-1; i++ {
			k := j*gw + i
			if !inside(i, j) {
				continue
			}
			// neighbours' tangents flipped to agree with this cell's (t is defined mod π)
			al := func(m int) (float64, float64) {
				if tx[m]*tx[k]+ty[m]*ty[k] < 0 {
					return -tx[m], -ty[m]
				}
				return tx[m], ty[m]
			}
			exx, _ := al(k + 1)
			wxx, _ := al(k - 1)
			_, syy := al(k + gw)
			_, nyy := al(k - gw)
			// agreement of the four neighbours with the centre: low near singular points
			agree := 1.0
			for _, m := range [4]int{k + 1, k - 1, k + gw, k - gw} {
				agree = min(agree, math.Abs(tx[m]*tx[k]+ty[m]*ty[k]))
			}
			if agree < 0.9 {
				continue
			}
			div[k] = ((exx-wxx)/2 + (syy-nyy)/2) / flowCell
			// Near a singular point t turns too fast for any smooth period: ridges must
			// end there anyway. The weight ramps from 0 to 1 between flowSingular and
			// twice that distance.
			d := math.Inf(1)
			for _, q := range append(om.cores[:len(om.cores):len(om.cores)], om.deltas...) {
				d = min(d, math.Hypot(float64(i*flowCell)-q.X, float64(j*flowCell)-q.Y))
			}
			wt[k] = min(1, max(0, d/flowSingular-1))
		}
	}
	// Minimise Σ wt·(D u − div)² + μ·Σ |∇u|² + ν·Σ u², D u = t·∇u (central differences),
	// by conjugate gradients on the normal equations A u = Dᵀ wt div.
	const mu, nu = 0.05, 1e-4
	D := func(u []float64, out []float64) {
		for k := range out {
			out[k] = 0
		}
		for j := 1; j < gh-1; j++ {
			for i := 1; i < gw-1; i++ {
				k := j*gw + i
				if wt[k] == 0 {
					continue
				}
				out[k] = (tx[k]*(u[k+1]-u[k-1]) + ty[k]*(u[k+gw]-u[k-gw])) / (2 * flowCell)
			}
		}
	}
	DT := func(r []float64, out []float64) { // adjoint of D, added into out
		for j := 1; j < gh-1; j++ {
			for i := 1; i < gw-1; i++ {
				k := j*gw + i
				if wt[k] == 0 {
					continue
				}
				v := r[k] / (2 * flowCell)
				out[k+1] += tx[k] * v
				out[k-1] -= tx[k] * v
				out[k+gw] += ty[k] * v
				out[k-gw] -= ty[k] * v
			}
		}
	}
	tmp := make([]float64, n)
	apply := func(u, out []float64) {
		D(u, tmp)
		for k := range tmp {
			tmp[k] *= wt[k]
		}
		for k := range out {
			out[k] = nu * u[k]
		}
		DT(tmp, out)
		// μ·Gᵀ G u with forward differences: the graph Laplacian of the grid
		for j := range gh {
			for i := range gw {
				k := j*gw + i
				if i+1 < gw {
					d := mu * (u[k] - u[k+1]) / (flowCell * flowCell)
					out[k] += d
					out[k+1] -= d
				}
				if j+1 < gh {
					d := mu * (u[k] - u[k+gw]) / (flowCell * flowCell)
					out[k] += d
					out[k+gw] -= d
				}
			}
		}
	}
	b := make([]float64, n)
	wdiv := make([]float64, n)
	for k := range wdiv {
		wdiv[k] = wt[k] * div[k]
	}
	DT(wdiv, b)
	u := make([]float64, n)
	r := append([]float64(nil), b...)
	pv := append([]float64(nil), r...)
	ap := make([]float64, n)
	rr := dot(r, r)
	for it := 0; it < 300 && rr > 1e-14; it++ {
		apply(pv, ap)
		a := rr / dot(pv, ap)
		for k := range u {
			u[k] += a * pv[k]
			r[k] -= a * ap[k]
		}
		nr := dot(r, r)
		for k := range pv {
			pv[k] = r[k] + nr/rr*pv[k]
		}
		rr = nr
	}
	// zero mean over the finger
	mean, cnt := 0.0, 0.0
	for j := range gh {
		for i := range gw {
			if inside(i, j) {
				mean += u[j*gw+i]
				cnt++
			}
		}
	}
	if cnt > 0 {
		mean /= cnt
	}
	g := make([]float32, n)
	for k := range u {
		g[k] = float32(u[k] - mean)
	}
	out := make([]float32, w*h)
	for y := range h {
		for x := range w {
			out[y*w+x] = bilinear(g, gw, gh, float64(x)/flowCell, float64(y)/flowCell)
		}
	}
	return out
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
