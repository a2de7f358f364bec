package match

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// quickISO is a temporary reader until fingerprint.ParseTemplate lands.
func quickISO(b []byte) *fingerprint.Template {
	t := &fingerprint.Template{Resolution: 500, Width: int(binary.BigEndian.Uint16(b[14:])), Height: int(binary.BigEndian.Uint16(b[16:]))}
	n := int(b[27])
	for k := 0; k < n; k++ {
		o := 28 + 6*k
		x := binary.BigEndian.Uint16(b[o:]) & 0x3fff
		ty := b[o] >> 6
		y := binary.BigEndian.Uint16(b[o+2:]) & 0x3fff
		a := float64(b[o+4]) * 2 * math.Pi / 256
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{X: int(x), Y: int(y), Direction: a, Type: fingerprint.MinutiaType(ty), Quality: b[o+5]})
	}
	return t
}

func eer(gen, imp []float64) float64 {
	sort.Float64s(gen)
	sort.Float64s(imp)
	best := 1.0
	for _, t := range append(append([]float64{}, gen...), imp...) {
		fnmr := float64(sort.SearchFloat64s(gen, t)) / float64(len(gen))
		fmr := float64(len(imp)-sort.SearchFloat64s(imp, t)) / float64(len(imp))
		if v := math.Max(fnmr, fmr); v < best {
			best = v
		}
	}
	return best
}

func TestVendorISOQuick(t *testing.T) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	var tpl [11][9]*Probe
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			b, err := os.ReadFile(filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f, i)))
			if err != nil {
				t.Fatal(err)
			}
			tpl[f-100][i] = Prepare(quickISO(b))
		}
	}
	var gen, imp []float64
	for a := 0; a < 80; a++ {
		for b := a + 1; b < 80; b++ {
			fa, ia, fb, ib := a/8+1, a%8+1, b/8+1, b%8+1
			s := tpl[fa][ia].Compare(&tpl[fb][ib].Candidate)
			if fa == fb {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	sort.Float64s(imp)
	t.Logf("genuine %d impostor %d EER %.2f%% imp max %.1f p99 %.1f", len(gen), len(imp), 100*eer(gen, imp), imp[len(imp)-1], imp[len(imp)*99/100])
}

func vendorEER(t *testing.T) float64 {
	dir := os.Getenv("BIOMESH_TESTDATA")
	var tpl [11][9]*fingerprint.Template
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			b, _ := os.ReadFile(filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f, i)))
			tpl[f-100][i] = quickISO(b)
		}
	}
	var pr [11][9]*Probe
	for f := 1; f <= 10; f++ {
		for i := 1; i <= 8; i++ {
			pr[f][i] = Prepare(tpl[f][i])
		}
	}
	var gen, imp []float64
	for a := 0; a < 80; a++ {
		for b := a + 1; b < 80; b++ {
			fa, ia, fb, ib := a/8+1, a%8+1, b/8+1, b%8+1
			s := pr[fa][ia].Compare(&pr[fb][ib].Candidate)
			if fa == fb {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	return eer(gen, imp)
}

func TestVendorGrid(t *testing.T) {
	if os.Getenv("BIOMESH_TESTDATA") == "" {
		t.Skip()
	}
	orig := params
	defer func() { params = orig }()
	try := func(name string, f func()) {
		params = orig
		f()
		t.Logf("%-30s EER %.2f%%", name, 100*vendorEER(t))
	}
	try("base", func() {})
	try("seeds 8", func() { params.seeds = 8 })
	try("peaks 1 seeds 8", func() { params.rotPeaks = 1; params.seeds = 8 })
	try("peaks 3", func() { params.rotPeaks = 3 })
	try("peaks 3 seeds 6", func() { params.rotPeaks = 3; params.seeds = 6 })
	try("pairTolAbs 9", func() { params.pairTolAbs = 9 })
	try("angleTol .28", func() { params.angleTol = 0.28 })
	try("hullMargin 20", func() { params.hullMargin = 20 })
	try("neighbours 12", func() { params.neighbours = 12 })
}

func TestVendorDetail(t *testing.T) {
	if os.Getenv("BIOMESH_TESTDATA") == "" {
		t.Skip()
	}
	dir := os.Getenv("BIOMESH_TESTDATA")
	var tpl [11][9]*fingerprint.Template
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			b, _ := os.ReadFile(filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f, i)))
			tpl[f-100][i] = quickISO(b)
		}
	}
	for f := 1; f <= 10; f++ {
		for i := 1; i <= 8; i++ {
			for j := i + 1; j <= 8; j++ {
				s := Prepare(tpl[f][i]).Compare(NewCandidate(tpl[f][j]))
				if s < 25 {
					t.Logf("gen %d_%d %d_%d n=%d,%d score %.1f", f, i, f, j, len(tpl[f][i].Minutiae), len(tpl[f][j].Minutiae), s)
				}
			}
		}
	}
}

func binomTail(n, N int, q float64) float64 {
	// -log10 P(X >= n), X ~ Bin(N, q)
	if n > N {
		N = n
	}
	tot := 0.0
	for k := n; k <= N; k++ {
		lg1, _ := math.Lgamma(float64(N + 1))
		lg2, _ := math.Lgamma(float64(k + 1))
		lg3, _ := math.Lgamma(float64(N - k + 1))
		tot += math.Exp(lg1 - lg2 - lg3 + float64(k)*math.Log(q) + float64(N-k)*math.Log(1-q))
	}
	return -math.Log10(tot)
}

func TestVendorDiag(t *testing.T) {
	if os.Getenv("BIOMESH_TESTDATA") == "" {
		t.Skip()
	}
	dir := os.Getenv("BIOMESH_TESTDATA")
	load := func(f, i int) *fingerprint.Template {
		b, _ := os.ReadFile(filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f+100, i)))
		return quickISO(b)
	}
	for _, pr := range [][4]int{{5, 4, 5, 5}, {5, 3, 5, 4}, {10, 3, 10, 4}, {6, 6, 6, 7}, {1, 1, 1, 2}} {
		p := Prepare(load(pr[0], pr[1]))
		c := NewCandidate(load(pr[2], pr[3]))
		s := scratchPool.Get().(*scratch)
		best, bi, bj := 0.0, 0, 0
		for i := range p.m {
			for j := range c.m {
				if v := p.consolidate(c, i, j, s); v > best {
					best, bi, bj = v, i, j
				}
			}
		}
		t.Logf("%v: normal %.1f exhaustive %.1f at %d,%d", pr, p.Compare(c), calibration.Apply(best), bi, bj)
	}
}

func TestVendorVotes(t *testing.T) {
	if os.Getenv("BIOMESH_TESTDATA") == "" {
		t.Skip()
	}
	dir := os.Getenv("BIOMESH_TESTDATA")
	load := func(f, i int) *fingerprint.Template {
		b, _ := os.ReadFile(filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f+100, i)))
		return quickISO(b)
	}
	for _, pr := range [][4]int{{5, 4, 5, 5}, {5, 3, 5, 4}, {10, 3, 10, 4}} {
		p := Prepare(load(pr[0], pr[1]))
		c := NewCandidate(load(pr[2], pr[3]))
		s := scratchPool.Get().(*scratch)
		best, bi, bj := 0.0, 0, 0
		for i := range p.m {
			for j := range c.m {
				if v := p.consolidate(c, i, j, s); v > best {
					best, bi, bj = v, i, j
				}
			}
		}
		p.rawWith(c, s)
		nc := len(c.m)
		top := topVoted(s.voted, s.votes, 10)
		var tv []string
		for _, k := range top {
			tv = append(tv, fmt.Sprintf("%d,%d:%d", int(k)/nc, int(k)%nc, s.votes[k]))
		}
		// votes of the pairs in the best exhaustive pairing
		p.consolidate(c, bi, bj, s)
		var mv []string
		for i, j := range s.match {
			if j >= 0 {
				mv = append(mv, fmt.Sprintf("%d,%d:%d", i, j, s.votes[i*nc+j]))
			}
		}
		t.Logf("%v voted=%d edges p=%d c=%d top %v\n best pairing %v", pr, len(s.voted), len(p.edges), len(c.edges), tv, mv)
	}
}
