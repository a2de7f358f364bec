package wsq

// Even-length filters. The standard also allows a pair of even-length
// filters (a symmetric low-pass and an antisymmetric high-pass one, e.g.
// 8/8 taps). Their extension at the edges is half-sample symmetric for the
// signal and the low-pass band and antisymmetric for the high-pass band,
// with special cases that depend on the parity of the line. No encoder in
// use writes such files and there is no reference data for them, so the
// reference decoder's index walk is what defines the result: walkSynthesis
// replays that walk for one line length and records its taps as a plan.
// For odd-length filters the same walk gives the taps of synthesisPlan
// (the tests check this), which is how the walk's port is verified.

// walkSynthesis builds the synthesis plan of a line of length n ≥ 2 by the
// reference decoder's walk. It returns nil when the filters are too long
// for the line (the walk would leave it).
func walkSynthesis(n int, inv bool, lo, hi []float32) *plan {
	lsz, hsz := len(lo), len(hi)
	daEv := n%2 == 1
	llen, hlen := n/2, n/2
	if daEv {
		llen = (n + 1) / 2
		hlen = llen - 1
	}
	hi = append([]float32(nil), hi...)
	var asym bool
	var ssfac float32
	var ofhre, loc, hoc, lotap, hotap int
	var olle, olre, ohle, ohre bool
	if lsz%2 == 1 {
		ssfac = 1
		loc, hoc = (lsz-1)/4, (hsz+1)/4-1
		lotap, hotap = ((lsz-1)/2)%2, ((hsz+1)/2)%2
		if daEv {
			olle, olre, ohle, ohre = false, false, true, true
		} else {
			olle, olre, ohle, ohre = false, true, true, false
		}
	} else {
		asym, ssfac, ofhre = true, -1, 2
		loc, hoc = lsz/4-1, hsz/4-1
		lotap, hotap = (lsz/2)%2, (hsz/2)%2
		olle, olre, ohle, ohre = true, !daEv, true, true
		if loc == -1 {
			loc, olle = 0, false
		}
		if hoc == -1 {
			hoc, ohle = 0, false
		}
		for i := range hi {
			hi[i] = -hi[i]
		}
	}
	lopass, hipass := 0, llen
	if inv {
		hipass, lopass = 0, hlen
	}
	terms := make([][]struct {
		off int
		w   float32
	}, n)
	bad := false
	set := func(m, off int, w float32) {
		if m >= n || off < 0 || off >= n {
			bad = true
			return
		}
		terms[m] = terms[m][:0]
		terms[m] = append(terms[m], struct {
			off int
			w   float32
		}{off, w})
	}
	add := func(m, off int, w float32) {
		if m >= n || off < 0 || off >= n {
			bad = true
			return
		}
		terms[m] = append(terms[m], struct {
			off int
			w   float32
		}{off, w})
	}
	lp0, lp1 := lopass, lopass+llen-1
	hp0, hp1 := hipass, hipass+hlen-1
	limg, himg := 0, 0
	lspx, lspxstr, lstap, lle2, lre2 := lp0+loc, -1, lotap, olle, olre
	hspx, hspxstr, hstap, hle2, hre2 := hp0+hoc, -1, hotap, ohle, ohre
	osfac := ssfac
	fhre := 0

	lowTap := func(tap int) {
		if tap >= lsz {
			bad = true
			return
		}
		lle, lre, lpx, lpxstr := lle2, lre2, lspx, lspxstr
		set(limg, lpx, lo[tap])
		for i := tap + 2; i < lsz; i += 2 {
			if lpx == lp0 {
				if lle {
					lpxstr, lle = 0, false
				} else {
					lpxstr = 1
				}
			}
			if lpx == lp1 {
				if lre {
					lpxstr, lre = 0, false
				} else {
					lpxstr = -1
				}
			}
			lpx += lpxstr
			add(limg, lpx, lo[i])
		}
		limg++
	}
	highTap := func(tap int) {
		hle, hre, hpx, hpxstr, sfac := hle2, hre2, hspx, hspxstr, osfac
		for i := tap; i < hsz; i += 2 {
			if hpx == hp0 {
				if hle {
					hpxstr, hle = 0, false
				} else {
					hpxstr, sfac = 1, 1
				}
			}
			if hpx == hp1 {
				if hre {
					hpxstr, hre = 0, false
					if asym && daEv {
						hre = true
						fhre--
						sfac = float32(fhre)
						if sfac == 0 {
							hre = false
						}
					}
				} else {
					hpxstr = -1
					if asym {
						sfac = -1
					}
				}
			}
			add(himg, hpx, hi[i]*sfac)
			hpx += hpxstr
		}
		himg++
	}

	for range hlen {
		for tap := lstap; tap >= 0; tap-- {
			lowTap(tap)
		}
		if lspx == lp0 {
			if lle2 {
				lspxstr, lle2 = 0, false
			} else {
				lspxstr = 1
			}
		}
		lspx += lspxstr
		lstap = 1
		for tap := hstap; tap >= 0; tap-- {
			fhre = ofhre
			highTap(tap)
		}
		if hspx == hp0 {
			if hle2 {
				hspxstr, hle2 = 0, false
			} else {
				hspxstr, osfac = 1, 1
			}
		}
		hspx += hspxstr
		hstap = 1
	}
	switch {
	case daEv && lotap != 0:
		lstap = 1
	case daEv:
		lstap = 0
	case lotap != 0:
		lstap = 2
	default:
		lstap = 1
	}
	for tap := 1; tap >= lstap; tap-- {
		lowTap(tap)
	}
	if daEv {
		hstap = 0
		if hotap != 0 {
			hstap = 1
		}
		if hsz == 2 {
			hspx -= hspxstr
			fhre = 1
		}
	} else {
		hstap = 1
		if hotap != 0 {
			hstap = 2
		}
	}
	for tap := 1; tap >= hstap; tap-- {
		if hsz != 2 {
			fhre = ofhre
		}
		highTap(tap)
	}
	if bad {
		return nil
	}
	p := &plan{start: make([]int32, 0, n+1)}
	for _, ts := range terms {
		p.start = append(p.start, int32(len(p.off)))
		if len(ts) == 0 {
			return nil
		}
		for _, t := range ts {
			p.off = append(p.off, int32(t.off))
			p.coef = append(p.coef, t.w)
		}
	}
	p.start = append(p.start, int32(len(p.off)))
	return p
}
