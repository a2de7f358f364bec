package dna

import (
	"fmt"
	"strings"
)

// Kind tells autosomal STR profiles from Y-STR haplotypes.
type Kind uint8

const (
	// Autosomal is a profile of autosomal STR loci (and Amelogenin).
	Autosomal Kind = iota
	// YSTR is a Y-chromosome STR haplotype.
	YSTR
)

func (k Kind) String() string {
	if k == YSTR {
		return "ystr"
	}
	return "autosomal"
}

// ParseKind reads "autosomal" (or "", "str") and "ystr" (or "y", "y-str").
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "autosomal", "str", "auto":
		return Autosomal, nil
	case "ystr", "y-str", "y_str", "y":
		return YSTR, nil
	}
	return 0, fmt.Errorf("unknown profile kind %q (want autosomal or ystr)", s)
}

// Locus identifies a marker by its index in the registry of known loci. The zero Locus
// is not a locus.
type Locus uint8

type locusInfo struct {
	name    string
	kind    Kind
	sex     bool // Amelogenin: typed but never counted or used in statistics
	copies  int  // most alleles a single source shows (2, or more for multi-copy Y loci)
	aliases []string
}

// loci is the registry. Canonical names follow the spelling of STRBase and the CODIS
// core loci list; aliases are compared after normaliseLocusName.
var loci = []locusInfo{
	{}, // 0: not a locus
	{name: "AMEL", sex: true, copies: 2, aliases: []string{"Amelogenin", "AM", "AMELOGENIN", "AMG"}},
	{name: "CSF1PO", copies: 2, aliases: []string{"HUMCSF1PO", "CSF1"}},
	{name: "D3S1358", copies: 2},
	{name: "D5S818", copies: 2},
	{name: "D7S820", copies: 2},
	{name: "D8S1179", copies: 2},
	{name: "D13S317", copies: 2},
	{name: "D16S539", copies: 2},
	{name: "D18S51", copies: 2},
	{name: "D21S11", copies: 2},
	{name: "FGA", copies: 2, aliases: []string{"FIBRA", "HUMFIBRA", "FGA/FIBRA", "HUMFGA"}},
	{name: "TH01", copies: 2, aliases: []string{"THO1", "HUMTH01", "TC11", "HUMTHO1"}},
	{name: "TPOX", copies: 2, aliases: []string{"HUMTPOX", "TPO"}},
	{name: "vWA", copies: 2, aliases: []string{"HUMVWA", "HUMVWA31", "HUMVWA31A", "VWA31"}},
	{name: "D1S1656", copies: 2},
	{name: "D2S441", copies: 2},
	{name: "D2S1338", copies: 2},
	{name: "D10S1248", copies: 2},
	{name: "D12S391", copies: 2},
	{name: "D19S433", copies: 2},
	{name: "D22S1045", copies: 2},
	{name: "Penta D", copies: 2, aliases: []string{"PENTAD", "PD"}},
	{name: "Penta E", copies: 2, aliases: []string{"PENTAE", "PE"}},
	{name: "Penta C", copies: 2, aliases: []string{"PENTAC", "PC"}},
	{name: "SE33", copies: 2, aliases: []string{"ACTBP2", "HUMACTBP2"}},
	{name: "D6S1043", copies: 2},
	{name: "F13A01", copies: 2, aliases: []string{"F13A1", "HUMF13A01"}},
	{name: "F13B", copies: 2, aliases: []string{"HUMF13B"}},
	{name: "FESFPS", copies: 2, aliases: []string{"FES", "FES/FPS", "HUMFESFPS"}},
	{name: "LPL", copies: 2, aliases: []string{"HUMLPL"}},
	{name: "D9S1122", copies: 2},
	{name: "D4S2408", copies: 2},
	{name: "D17S1301", copies: 2},
	{name: "D20S482", copies: 2},
	{name: "D6S474", copies: 2},
	{name: "D1S1677", copies: 2},
	{name: "D14S1434", copies: 2},
	{name: "D2S1776", copies: 2},
	{name: "D3S4529", copies: 2},
	{name: "D5S2800", copies: 2},
	{name: "D10S2325", copies: 2},
	{name: "D12ATA63", copies: 2},
	{name: "D11S4463", copies: 2},
	{name: "D19S253", copies: 2},
	{name: "D6S1017", copies: 2},
	{name: "D9S2157", copies: 2},
	// Y-STR loci. DYS385 and DYF387S1 are duplicated and show two alleles.
	{name: "DYS19", kind: YSTR, copies: 1},
	{name: "DYS385", kind: YSTR, copies: 2, aliases: []string{"DYS385A/B", "DYS385AB"}},
	{name: "DYS389I", kind: YSTR, copies: 1, aliases: []string{"DYS3891"}},
	{name: "DYS389II", kind: YSTR, copies: 1, aliases: []string{"DYS3892"}},
	{name: "DYS390", kind: YSTR, copies: 1},
	{name: "DYS391", kind: YSTR, copies: 1},
	{name: "DYS392", kind: YSTR, copies: 1},
	{name: "DYS393", kind: YSTR, copies: 1},
	{name: "DYS437", kind: YSTR, copies: 1},
	{name: "DYS438", kind: YSTR, copies: 1},
	{name: "DYS439", kind: YSTR, copies: 1},
	{name: "DYS448", kind: YSTR, copies: 1},
	{name: "DYS449", kind: YSTR, copies: 1},
	{name: "DYS456", kind: YSTR, copies: 1},
	{name: "DYS458", kind: YSTR, copies: 1},
	{name: "DYS460", kind: YSTR, copies: 1},
	{name: "DYS481", kind: YSTR, copies: 1},
	{name: "DYS518", kind: YSTR, copies: 1},
	{name: "DYS533", kind: YSTR, copies: 1},
	{name: "DYS549", kind: YSTR, copies: 1},
	{name: "DYS570", kind: YSTR, copies: 1},
	{name: "DYS576", kind: YSTR, copies: 1},
	{name: "DYS627", kind: YSTR, copies: 1},
	{name: "DYS635", kind: YSTR, copies: 1},
	{name: "DYS643", kind: YSTR, copies: 1},
	{name: "YGATAH4", kind: YSTR, copies: 1, aliases: []string{"GATAH4", "YGATAH41"}},
	{name: "DYF387S1", kind: YSTR, copies: 2},
}

var locusByName = func() map[string]Locus {
	m := make(map[string]Locus)
	for i, l := range loci[1:] {
		id := Locus(i + 1)
		m[normaliseLocusName(l.name)] = id
		for _, a := range l.aliases {
			m[normaliseLocusName(a)] = id
		}
	}
	return m
}()

// normaliseLocusName folds case and drops the separators kits and exports disagree on
// ("Penta D", "PENTA_D", "Penta-D", "TH-01", "FES/FPS").
func normaliseLocusName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch r {
		case ' ', '_', '-', '.', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LookupLocus returns the locus named s by its canonical name or any alias.
func LookupLocus(s string) (Locus, error) {
	if l, ok := locusByName[normaliseLocusName(s)]; ok {
		return l, nil
	}
	if n := normaliseLocusName(s); strings.HasPrefix(n, "HUM") {
		if l, ok := locusByName[n[3:]]; ok {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown locus %q", s)
}

// MustLocus is LookupLocus for names known at compile time; it panics on an unknown name.
func MustLocus(s string) Locus {
	l, err := LookupLocus(s)
	if err != nil {
		panic(err)
	}
	return l
}

// String returns the canonical name.
func (l Locus) String() string {
	if int(l) >= len(loci) || l == 0 {
		return fmt.Sprintf("Locus(%d)", uint8(l))
	}
	return loci[l].name
}

// Kind tells whether the locus is autosomal or on the Y chromosome.
func (l Locus) Kind() Kind { return l.info().kind }

func (l Locus) info() locusInfo {
	if !l.valid() {
		return locusInfo{}
	}
	return loci[l]
}

// IsSex reports whether the locus is a sex marker (Amelogenin), which is typed but never
// counted as a compared locus nor used in statistics.
func (l Locus) IsSex() bool { return l.info().sex }

// Copies is the most alleles a single source shows at the locus.
func (l Locus) Copies() int { return l.info().copies }

func (l Locus) valid() bool { return l != 0 && int(l) < len(loci) }

func kit(names ...string) []Locus {
	out := make([]Locus, len(names))
	for i, n := range names {
		out[i] = MustLocus(n)
	}
	return out
}

// Kits and core sets. Slices are shared: do not modify them.
var (
	// CODIS13 is the original CODIS core set.
	CODIS13 = kit("CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539",
		"D18S51", "D21S11", "FGA", "TH01", "TPOX", "vWA")
	// CODIS20 is the CODIS core set since 2017.
	CODIS20 = append(append([]Locus{}, CODIS13...), kit("D1S1656", "D2S441", "D2S1338",
		"D10S1248", "D12S391", "D19S433", "D22S1045")...)
	// ESS is the 12-locus European Standard Set (the Prüm exchange loci).
	ESS = kit("D3S1358", "vWA", "D8S1179", "D21S11", "D18S51", "TH01", "FGA", "D1S1656",
		"D2S441", "D10S1248", "D12S391", "D22S1045")
	// DNA17 is the UK National DNA Database set: ESS plus D16S539, D19S433, D2S1338, SE33.
	DNA17 = append(append([]Locus{}, ESS...), kit("D16S539", "D19S433", "D2S1338", "SE33")...)
	// YFiler is the Yfiler kit: 17 Y-STR markers, DYS385a/b held as one two-allele locus.
	YFiler = kit("DYS19", "DYS385", "DYS389I", "DYS389II", "DYS390", "DYS391", "DYS392",
		"DYS393", "DYS437", "DYS438", "DYS439", "DYS448", "DYS456", "DYS458", "DYS635", "YGATAH4")
)

// AllLoci returns every known locus in registry order.
func AllLoci() []Locus {
	out := make([]Locus, 0, len(loci)-1)
	for i := 1; i < len(loci); i++ {
		out = append(out, Locus(i))
	}
	return out
}
