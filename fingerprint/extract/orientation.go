package extract

import "math"

// computeGradients computes Sobel gradients and accumulates per block the gradient moments
// (gx², gy², gx·gy) and the grey-level deviation, raw coherence and slope (how much the
// gradients point one way rather than alternating as across ridges) pooled over the
// (2·segWindow+1)² blocks around each block. Segmentation and orientation both use them.
func (s *state) computeGradients() {
	w, h, B := s.w, s.h, s.p.block
	nb := s.bw * s.bh
	s.bxx = make([]float32, nb)
	s.byy = make([]float32, nb)
	s.bxy = make([]float32, nb)
	bgx := make([]float32, nb)
	bgy := make([]float32, nb)
	babs := make([]float32, nb)
	bsum := make([]float32, nb)
	bsum2 := make([]float32, nb)
	bcnt := make([]float32, nb)
	pix := s.pix
	for y := 0; y < h; y++ {
		by := y / B
		o := y * w
		row := pix[o : o+w]
		for bx := 0; bx < s.bw; bx++ {
			bi := by*s.bw + bx
			x0, x1 := bx*B, min((bx+1)*B, w)
			var sm, sm2 float32
			for _, v := range row[x0:x1] {
				sm += v
				sm2 += v * v
			}
			bsum[bi] += sm
			bsum2[bi] += sm2
			bcnt[bi] += float32(x1 - x0)
			if y == 0 || y == h-1 {
				continue
			}
			up, dn := pix[o-w:o], pix[o+w:o+2*w]
			x0, x1 = max(x0, 1), min(x1, w-1)
			var sxx, syy, sxy, sgx, sgy, sab float32
			for x := x0; x < x1; x++ {
				gx := (up[x+1] + 2*row[x+1] + dn[x+1]) - (up[x-1] + 2*row[x-1] + dn[x-1])
				gy := (dn[x-1] + 2*dn[x] + dn[x+1]) - (up[x-1] + 2*up[x] + up[x+1])
				sxx += gx * gx
				syy += gy * gy
				sxy += gx * gy
				sgx += gx
				sgy += gy
				sab += abs32(gx) + abs32(gy)
			}
			s.bxx[bi] += sxx
			s.byy[bi] += syy
			s.bxy[bi] += sxy
			bgx[bi] += sgx
			bgy[bi] += sgy
			babs[bi] += sab
		}
	}
	s.bstd = make([]float32, nb)
	s.bmean = make([]float32, nb)
	for i := range s.bmean {
		if bcnt[i] > 0 {
			s.bmean[i] = bsum[i] / bcnt[i]
		}
	}
	s.bcoh = make([]float32, nb)
	s.bslope = make([]float32, nb)
	r := s.p.segWindow
	for by := 0; by < s.bh; by++ {
		for bx := 0; bx < s.bw; bx++ {
			var sxx, syy, sxy, sm, sm2, n, gx, gy, ga float32
			for dy := -r; dy <= r; dy++ {
				yy := by + dy
				if yy < 0 || yy >= s.bh {
					continue
				}
				for dx := -r; dx <= r; dx++ {
					xx := bx + dx
					if xx < 0 || xx >= s.bw {
						continue
					}
					j := yy*s.bw + xx
					sxx += s.bxx[j]
					syy += s.byy[j]
					sxy += s.bxy[j]
					gx += bgx[j]
					gy += bgy[j]
					ga += babs[j]
					sm += bsum[j]
					sm2 += bsum2[j]
					n += bcnt[j]
				}
			}
			i := by*s.bw + bx
			mean := sm / n
			s.bstd[i] = float32(math.Sqrt(math.Max(0, float64(sm2/n-mean*mean))))
			if e := sxx + syy; e > 1e-3 {
				s.bcoh[i] = float32(math.Hypot(float64(sxx-syy), float64(2*sxy))) / e
			}
			if ga > 1e-3 {
				s.bslope[i] = (abs32(gx) + abs32(gy)) / ga
			}
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// orientation computes the smoothed orientation field. Per block, the doubled-angle vector
// of the gradients pooled over 3×3 blocks is normalised by the gradient energy (so its length
// is the local coherence, not the contrast); these vectors are smoothed with a fine and a
// coarse Gaussian (normalised convolution over the foreground), and blended: the fine
// field where it is coherent, the coarse one where it is not. The result is interpolated
// to one ridge angle per pixel.
func (s *state) orientation() {
	p := s.p
	nb := s.bw * s.bh
	vx := make([]float32, nb)
	vy := make([]float32, nb)
	wt := make([]float32, nb)
	for by := 0; by < s.bh; by++ {
		for bx := 0; bx < s.bw; bx++ {
			var sxx, syy, sxy float32
			for dy := -1; dy <= 1; dy++ {
				yy := by + dy
				if yy < 0 || yy >= s.bh {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := bx + dx
					if xx < 0 || xx >= s.bw {
						continue
					}
					j := yy*s.bw + xx
					sxx += s.bxx[j]
					syy += s.byy[j]
					sxy += s.bxy[j]
				}
			}
			i := by*s.bw + bx
			if e := sxx + syy; e > 1e-3 {
				vx[i] = (sxx - syy) / e
				vy[i] = 2 * sxy / e
			}
			if s.blockMask[i] {
				wt[i] = 1
			}
		}
	}
	fx := append([]float32(nil), vx...)
	fy := append([]float32(nil), vy...)
	blurWeighted(s.bw, s.bh, p.oriSigmaFine, wt, fx, fy)
	cx, cy := vx, vy
	blurWeighted(s.bw, s.bh, p.oriSigmaCoarse, wt, cx, cy)
	s.ocos = make([]float32, nb)
	s.osin = make([]float32, nb)
	s.ocoh = make([]float32, nb)
	for i := 0; i < nb; i++ {
		fl := float32(math.Hypot(float64(fx[i]), float64(fy[i])))
		cl := float32(math.Hypot(float64(cx[i]), float64(cy[i])))
		s.ocoh[i] = fl
		t := (fl - p.oriCohLow) / (p.oriCohHigh - p.oriCohLow)
		t = min(max(t, 0), 1)
		var ax, ay float32
		if fl > 1e-6 {
			ax, ay = t*fx[i]/fl, t*fy[i]/fl
		}
		if cl > 1e-6 {
			ax += (1 - t) * cx[i] / cl
			ay += (1 - t) * cy[i] / cl
		}
		l := float32(math.Hypot(float64(ax), float64(ay)))
		if l > 1e-6 {
			s.ocos[i], s.osin[i] = ax/l, ay/l
		} else {
			s.ocos[i], s.osin[i] = 1, 0
		}
	}
	// enhancement needs orientations up to a kernel radius beyond the foreground
	s.near = morph(s.blockMask, s.bw, s.bh, (kernelBank(p).radius+p.block-1)/p.block, true)
	s.pixTheta = s.interpolateAngles()
}

// interpolateAngles bilinearly interpolates the block doubled-angle field and returns the
// ridge angle in [0, π) (image coordinates, y down) per pixel. The field varies slowly, so
// it is evaluated once per 2×2 pixels. Only blocks of s.near are computed; other pixels
// get 0.
func (s *state) interpolateAngles() []float32 {
	w, h, B := s.w, s.h, s.p.block
	out := make([]float32, w*h)
	half := float32(B)/2 - 0.5
	inv := 1 / float32(B)
	for y := 0; y < h; y += 2 {
		fy := (float32(y) + 0.5 - half) * inv
		y0 := int(math.Floor(float64(fy)))
		ty := fy - float32(y0)
		y1 := y0 + 1
		y0 = min(max(y0, 0), s.bh-1)
		y1 = min(max(y1, 0), s.bh-1)
		nearRow := s.near[min(y/B, s.bh-1)*s.bw:]
		for x := 0; x < w; x += 2 {
			if !nearRow[x/B] {
				continue
			}
			fx := (float32(x) + 0.5 - half) * inv
			x0 := int(math.Floor(float64(fx)))
			tx := fx - float32(x0)
			x1 := x0 + 1
			x0 = min(max(x0, 0), s.bw-1)
			x1 = min(max(x1, 0), s.bw-1)
			i00, i01, i10, i11 := y0*s.bw+x0, y0*s.bw+x1, y1*s.bw+x0, y1*s.bw+x1
			c := (1-ty)*((1-tx)*s.ocos[i00]+tx*s.ocos[i01]) + ty*((1-tx)*s.ocos[i10]+tx*s.ocos[i11])
			sn := (1-ty)*((1-tx)*s.osin[i00]+tx*s.osin[i01]) + ty*((1-tx)*s.osin[i10]+tx*s.osin[i11])
			a := atan2f(sn, c)/2 + math.Pi/2 // gradient angle → ridge angle
			if a >= math.Pi {
				a -= math.Pi
			}
			if a < 0 {
				a += math.Pi
			}
			i := y*w + x
			out[i] = a
			if x+1 < w {
				out[i+1] = a
			}
			if y+1 < h {
				out[i+w] = a
				if x+1 < w {
					out[i+w+1] = a
				}
			}
		}
	}
	return out
}

// blockAt returns the block index of pixel (x, y).
func (s *state) blockAt(x, y int) int {
	bx := min(max(x/s.p.block, 0), s.bw-1)
	by := min(max(y/s.p.block, 0), s.bh-1)
	return by*s.bw + bx
}
