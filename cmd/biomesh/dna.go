package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/dna"
)

func init() { commands = append(commands, newDNACmd) }

func newDNACmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "dna",
		Short: "STR DNA profiles: database search, match statistics, kinship, evaluation",
		Long: "Profiles are read from CSV (an id column and LOCUS or LOCUS_1, LOCUS_2 columns) or JSON\n" +
			"({\"id\", \"kind\", \"mixture\", \"loci\": {LOCUS: [alleles]}}, one, an array or JSON lines; files\n" +
			"ending .json or .jsonl). Frequency tables are long CSV/TSV files (population, locus, allele,\n" +
			"freq or count, n) or wide allele-by-locus tables (FBI, UK layouts); see the dna package.",
	}
	c.AddCommand(newDNASearchCmd(), newDNARMPCmd(), newDNAKinshipCmd(), newDNAFamilialCmd(), newDNAEvalCmd())
	return c
}

// readDNAProfiles reads a profile file, JSON by extension, CSV otherwise.
func readDNAProfiles(path string) ([]dna.CSVProfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".jsonl", ".ndjson":
		return dna.ReadProfilesJSON(f, path)
	}
	return dna.ReadProfilesCSV(f, path)
}

func readDNATables(paths []string, only string) (dna.Tables, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no frequency table: give --freqs FILE")
	}
	ts := dna.Tables{}
	for _, p := range paths {
		t, err := dna.LoadTables(p)
		if err != nil {
			return nil, err
		}
		if err := ts.Merge(t); err != nil {
			return nil, err
		}
	}
	if only != "" {
		keep := dna.Tables{}
		for _, name := range strings.Split(only, ",") {
			t, ok := ts[name]
			if !ok {
				return nil, fmt.Errorf("no population %q in the tables (have %s)", name, strings.Join(ts.Populations(), ", "))
			}
			keep[name] = t
		}
		ts = keep
	}
	return ts, nil
}

func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

func lociNames(ls []dna.Locus) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.String()
	}
	return strings.Join(s, " ")
}

func newDNASearchCmd() *cobra.Command {
	var (
		dbFiles, freqs      []string
		stringency, pop     string
		minLoci, mismatches int
		limit               int
		prum, asJSON        bool
	)
	c := &cobra.Command{
		Use:   "search --db FILE... [--stringency high|moderate|low] [--min-loci N] [--prum] QUERIES",
		Short: "Search profiles against a database of profiles",
		Long: "Loads the --db files into an indexed database and searches every profile of QUERIES. Each\n" +
			"match lists compared, matching and mismatching loci; with --freqs, the score on the calibrated\n" +
			"scale, −10·log10(RMP over the matching loci, worst population, Balding–Nichols θ=0.01).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := dna.ParseStringency(stringency)
			if err != nil {
				return err
			}
			opt := dna.SearchOptions{Stringency: st, MinLoci: minLoci, MaxMismatches: mismatches, Prum: prum, Limit: limit}
			if prum && !cmd.Flags().Changed("min-loci") {
				opt.MinLoci = dna.PrumMinLoci
			}
			var ts dna.Tables
			if len(freqs) > 0 {
				if ts, err = readDNATables(freqs, pop); err != nil {
					return err
				}
			}
			db := dna.NewDatabase()
			if len(dbFiles) == 0 {
				return fmt.Errorf("no database: give --db FILE")
			}
			for _, f := range dbFiles {
				ps, err := readDNAProfiles(f)
				if err != nil {
					return err
				}
				for _, p := range ps {
					if err := db.Add(p.Profile); err != nil {
						return fmt.Errorf("%s: %w", f, err)
					}
				}
			}
			qs, err := readDNAProfiles(args[0])
			if err != nil {
				return err
			}
			type out struct {
				Query  string            `json:"query"`
				Result *dna.SearchResult `json:"result"`
				Scores []float64         `json:"scores,omitempty"`
				Ms     float64           `json:"ms"`
			}
			var all []out
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, q := range qs {
				start := time.Now()
				r, err := db.Search(q.Profile, opt)
				if err != nil {
					return fmt.Errorf("%s: query %s: %w", args[0], q.ID, err)
				}
				o := out{Query: q.ID, Result: r, Ms: float64(time.Since(start).Microseconds()) / 1000}
				for _, m := range r.Matches {
					if ts == nil {
						break
					}
					s, _, err := dna.MatchScore(q.Profile, m, ts, dna.DefaultStatOptions())
					if err != nil {
						return err
					}
					o.Scores = append(o.Scores, s)
				}
				all = append(all, o)
				if asJSON {
					continue
				}
				fmt.Fprintf(w, "%s: %d full, %d near, %d partial of %d profiles (%.2f ms)\n", q.ID, r.Full, r.Near, r.Partial, r.Searched, o.Ms)
				for _, msg := range r.Warnings {
					fmt.Fprintf(w, "  warning: %s\n", msg)
				}
				for i, m := range r.Matches {
					score := ""
					if ts != nil {
						score = fmt.Sprintf("score %.1f", o.Scores[i])
					}
					fmt.Fprintf(w, "  %s\t%s\tcompared %d\tmatching %d\t%s\tmismatching: %s\n", m.ID, m.Kind, m.Compared, len(m.Matching), score, lociNames(m.Mismatching))
				}
				w.Flush()
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), all)
			}
			return nil
		},
	}
	c.Flags().StringSliceVar(&dbFiles, "db", nil, "database profile files (CSV or JSON; repeatable)")
	c.Flags().StringVar(&stringency, "stringency", "high", "per-locus rule: high (identical), moderate (one within the other), low (one shared allele)")
	c.Flags().IntVar(&minLoci, "min-loci", 10, "fewest compared loci")
	c.Flags().IntVar(&mismatches, "max-mismatches", 0, "mismatching loci allowed")
	c.Flags().BoolVar(&prum, "prum", false, "Prüm rules: ≥ 6 fully designated loci, wildcards, near matches when no full match")
	c.Flags().IntVar(&limit, "limit", 100, "most matches listed per query")
	c.Flags().StringSliceVar(&freqs, "freqs", nil, "frequency tables for match scores (repeatable)")
	c.Flags().StringVar(&pop, "pop", "", "populations of the tables to use (comma separated; default all)")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return c
}

func newDNARMPCmd() *cobra.Command {
	var (
		freqs          []string
		method, pop    string
		theta          float64
		asJSON, perLoc bool
	)
	c := &cobra.Command{
		Use:   "rmp --freqs FILE... [--method bn|product] [--theta 0.01] PROFILES",
		Short: "Random match probability of each profile, per population",
		Long: "Product rule (NRC II 4.1, homozygotes p² + p(1−p)θ) or Balding–Nichols (NRC II 4.10). Alleles\n" +
			"rarer than 5/2N or missing from a table take the 5/2N floor and are reported. The worst\n" +
			"(largest) RMP over the populations is the one to quote when the population is unknown.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := dna.ParseMethod(method)
			if err != nil {
				return err
			}
			ts, err := readDNATables(freqs, pop)
			if err != nil {
				return err
			}
			ps, err := readDNAProfiles(args[0])
			if err != nil {
				return err
			}
			type out struct {
				ID    string           `json:"id"`
				All   []*dna.RMPResult `json:"populations"`
				Worst string           `json:"worst_population"`
				RMP   float64          `json:"rmp"`
				Score float64          `json:"score"`
			}
			var res []out
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, p := range ps {
				all, worst, err := dna.RMPAll(p.Profile, ts, dna.StatOptions{Method: m, Theta: theta})
				if err != nil {
					return fmt.Errorf("%s: %w", p.ID, err)
				}
				res = append(res, out{p.ID, all, worst.Population, worst.RMP, worst.Score()})
				if asJSON {
					continue
				}
				fmt.Fprintf(w, "%s\t%s θ=%g\tworst %s\tRMP %.3g\t1 in %.3g\tscore %.1f\n", p.ID, m, theta, worst.Population, worst.RMP, 1/worst.RMP, worst.Score())
				for _, r := range all {
					fmt.Fprintf(w, "  %s\tRMP %.3g\t%d loci\n", r.Population, r.RMP, len(r.Loci))
					if perLoc {
						for _, l := range r.Loci {
							fmt.Fprintf(w, "    %s\t%s\t%v\t%.4g\n", l.Locus, l.Genotype, l.Freqs, l.P)
						}
					}
					for _, s := range r.Skipped {
						fmt.Fprintf(w, "    skipped %s\n", s)
					}
					for _, s := range r.Warnings {
						fmt.Fprintf(w, "    warning: %s\n", s)
					}
				}
				w.Flush()
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			return nil
		},
	}
	c.Flags().StringSliceVar(&freqs, "freqs", nil, "frequency tables (repeatable)")
	c.Flags().StringVar(&pop, "pop", "", "populations to use (comma separated; default all)")
	c.Flags().StringVar(&method, "method", "bn", "bn (Balding–Nichols, NRC II 4.10), product (NRC II 4.1) or sibling (match probability of a full sibling)")
	c.Flags().Float64Var(&theta, "theta", dna.DefaultTheta, "coancestry θ (NRC II: 0.01, 0.03 for small isolated populations)")
	c.Flags().BoolVar(&perLoc, "loci", false, "print every locus")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return c
}

type kinFlags struct {
	freqs            []string
	pop              string
	theta, mu, thr   float64
	mutRange, mutFra float64
}

func (k *kinFlags) add(c *cobra.Command) {
	c.Flags().StringSliceVar(&k.freqs, "freqs", nil, "frequency tables (repeatable)")
	c.Flags().StringVar(&k.pop, "pop", "", "populations to use (comma separated; default all, reporting the minimum LR)")
	c.Flags().Float64Var(&k.theta, "theta", dna.DefaultTheta, "coancestry θ of the sampling formula")
	c.Flags().Float64Var(&k.mu, "mutation-rate", dna.DefaultMutation.Rate, "parent–child mutation rate per locus and meiosis (0: none)")
	c.Flags().Float64Var(&k.mutRange, "mutation-range", dna.DefaultMutation.Range, "stepwise model: ratio of successive step probabilities")
	c.Flags().Float64Var(&k.mutFra, "mutation-fraction", dna.DefaultMutation.Fraction, "share of mutations by a fraction of a repeat")
	c.Flags().Float64Var(&k.thr, "threshold", 1e4, "LR at or above which the verdict is \"supported\" (and at or below 1/threshold \"contradicted\")")
}

func (k *kinFlags) options() dna.KinshipOptions {
	return dna.KinshipOptions{Theta: k.theta, Threshold: k.thr, Mutation: dna.Mutation{Rate: k.mu, Range: k.mutRange, Fraction: k.mutFra}}
}

func newDNAKinshipCmd() *cobra.Command {
	var (
		kf          kinFlags
		rel         string
		a, b, m     string
		asJSON, all bool
	)
	c := &cobra.Command{
		Use:   "kinship --freqs FILE... --relationship R --a ID --b ID [--mother ID] PROFILES...",
		Short: "Likelihood ratio of a claimed relationship between two profiles",
		Long: "Relationships: parent-child (a is the parent), full-siblings, half-siblings, grandparent,\n" +
			"avuncular, first-cousins. With --mother, the trio paternity index of a (alleged father) for\n" +
			"child b. LR per locus and combined, in each population; the minimum over populations, its\n" +
			"verbal equivalent and the verdict are reported.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := dna.ParseRelationship(rel)
			if err != nil {
				return err
			}
			ts, err := readDNATables(kf.freqs, kf.pop)
			if err != nil {
				return err
			}
			byID := map[string]*dna.Profile{}
			for _, f := range args {
				ps, err := readDNAProfiles(f)
				if err != nil {
					return err
				}
				for _, p := range ps {
					byID[p.ID] = p.Profile
				}
			}
			get := func(flag, id string) (*dna.Profile, error) {
				if id == "" {
					return nil, fmt.Errorf("give --%s ID", flag)
				}
				p, ok := byID[id]
				if !ok {
					return nil, fmt.Errorf("--%s %s: no such profile in %s", flag, id, strings.Join(args, ", "))
				}
				return p, nil
			}
			pa, err := get("a", a)
			if err != nil {
				return err
			}
			pb, err := get("b", b)
			if err != nil {
				return err
			}
			var results []*dna.KinshipResult
			var lo *dna.KinshipResult
			if m != "" {
				pm, err := get("mother", m)
				if err != nil {
					return err
				}
				results, lo, err = dna.PaternityMin(pb, pm, pa, ts, kf.options())
				if err != nil {
					return err
				}
			} else if results, lo, err = dna.KinshipMin(pa, pb, r, ts, kf.options()); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"minimum": lo, "populations": results})
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "%s between %s and %s: LR %.4g (log10 %.2f, minimum over %d populations, in %s)\n", lo.Relationship, a, b, lo.LR, lo.Log10LR, len(results), lo.Population)
			fmt.Fprintf(w, "verbal: %s; verdict: %s (threshold %g)", lo.Verbal, lo.Verdict, kf.thr)
			if lo.Inconsistent > 0 {
				fmt.Fprintf(w, "; %d inconsistent loci", lo.Inconsistent)
			}
			fmt.Fprintln(w)
			show := []*dna.KinshipResult{lo}
			if all {
				show = results
			}
			for _, res := range show {
				fmt.Fprintf(w, "%s: LR %.4g\n", res.Population, res.LR)
				for _, l := range res.Loci {
					flag := ""
					if l.Inconsistent {
						flag = "inconsistent"
					}
					mo := ""
					if l.M != "" {
						mo = "mother " + l.M
					}
					fmt.Fprintf(w, "  %s\t%s\t%s\t%s\tLR %.4g\t%s\n", l.Locus, l.A, l.B, mo, l.LR, flag)
				}
				for _, s := range res.Skipped {
					fmt.Fprintf(w, "  skipped %s\n", s)
				}
				for _, s := range res.Warnings {
					fmt.Fprintf(w, "  warning: %s\n", s)
				}
			}
			return w.Flush()
		},
	}
	kf.add(c)
	c.Flags().StringVar(&rel, "relationship", "parent-child", "claimed relationship")
	c.Flags().StringVar(&a, "a", "", "first person's profile ID (the parent, or alleged father)")
	c.Flags().StringVar(&b, "b", "", "second person's profile ID (the child)")
	c.Flags().StringVar(&m, "mother", "", "known mother's profile ID (trio paternity index)")
	c.Flags().BoolVar(&all, "all", false, "print every population's loci, not only the minimum's")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return c
}

func newDNAFamilialCmd() *cobra.Command {
	var (
		kf      kinFlags
		dbFiles []string
		rel     string
		limit   int
		minLoci int
		alpha   float64
		asJSON  bool
	)
	c := &cobra.Command{
		Use:   "familial --db FILE... --freqs FILE... --relationship R QUERIES",
		Short: "Rank database profiles by kinship index against each query",
		Long: "The kinship index of a candidate is the smallest LR over the populations of the tables. The\n" +
			"threshold is N/alpha for a database of N profiles: at most alpha unrelated candidates are\n" +
			"expected above it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := dna.ParseRelationship(rel)
			if err != nil {
				return err
			}
			ts, err := readDNATables(kf.freqs, kf.pop)
			if err != nil {
				return err
			}
			db := dna.NewDatabase()
			for _, f := range dbFiles {
				ps, err := readDNAProfiles(f)
				if err != nil {
					return err
				}
				for _, p := range ps {
					if err := db.Add(p.Profile); err != nil {
						return fmt.Errorf("%s: %w", f, err)
					}
				}
			}
			qs, err := readDNAProfiles(args[0])
			if err != nil {
				return err
			}
			var all []*dna.FamilialResult
			for _, q := range qs {
				res, err := db.Familial(q.Profile, ts, dna.FamilialOptions{Relationship: r, Kinship: kf.options(), Limit: limit, Alpha: alpha, MinLoci: minLoci})
				if err != nil {
					return fmt.Errorf("query %s: %w", q.ID, err)
				}
				all = append(all, res)
				if asJSON {
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s (%s): %d of %d candidates above threshold %.3g\n", q.ID, res.Relationship, res.Above, res.Searched, res.Threshold)
				for i, c := range res.Candidates {
					mark := ""
					if c.Above {
						mark = " *"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "  %3d %-20s KI %.4g (log10 %.2f, min in %s, %d loci)%s\n", i+1, c.ID, c.KI, c.Log10KI, c.Population, c.Compared, mark)
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), all)
			}
			return nil
		},
	}
	kf.add(c)
	c.Flags().StringSliceVar(&dbFiles, "db", nil, "database profile files (repeatable)")
	c.Flags().StringVar(&rel, "relationship", "full-siblings", "relationship searched for")
	c.Flags().IntVar(&limit, "limit", 20, "candidates listed per query")
	c.Flags().IntVar(&minLoci, "min-loci", 8, "fewest loci typed in both query and candidate")
	c.Flags().Float64Var(&alpha, "alpha", 0.1, "expected unrelated candidates above the threshold")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return c
}

func newDNAEvalCmd() *cobra.Command {
	var (
		kf                     kinFlags
		genotypes, loci        string
		pairs, dbSize, queries int
		seed                   uint64
		asJSON                 bool
	)
	c := &cobra.Command{
		Use:   "eval --genotypes FILE --freqs FILE...",
		Short: "Simulate relatives from real genotypes: LR distributions, familial ranks, search speed",
		Long: "From the genotypes (e.g. NIST 1036, whose Pop column names the table population; AA is\n" +
			"AfAm) simulate parent–child pairs (with and without one mutation), full and half siblings,\n" +
			"first cousins and unrelated pairs; report log10 LR quantiles and the share of pairs with\n" +
			"LR > 1, ≥ threshold and ≤ 1/threshold; then hide simulated relatives in a database of\n" +
			"profiles drawn from the frequencies and report their familial-search rank, and the speed of\n" +
			"a high-stringency search over that database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if genotypes == "" {
				return fmt.Errorf("give --genotypes FILE")
			}
			ts, err := readDNATables(kf.freqs, kf.pop)
			if err != nil {
				return err
			}
			ps, err := readDNAProfiles(genotypes)
			if err != nil {
				return err
			}
			opt := dna.EvalOptions{Pairs: pairs, DBSize: dbSize, Queries: queries, Seed: seed, Kinship: kf.options(), Threshold: kf.thr}
			if loci != "" {
				for _, n := range strings.Split(loci, ",") {
					switch strings.ToLower(n) {
					case "codis20":
						opt.Loci = append(opt.Loci, dna.CODIS20...)
					case "ess":
						opt.Loci = append(opt.Loci, dna.ESS...)
					case "dna17":
						opt.Loci = append(opt.Loci, dna.DNA17...)
					default:
						l, err := dna.LookupLocus(n)
						if err != nil {
							return fmt.Errorf("--loci: %w", err)
						}
						opt.Loci = append(opt.Loci, l)
					}
				}
			}
			r, err := dna.Evaluate(ps, ts, opt)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			fmt.Fprint(cmd.OutOrStdout(), r)
			return nil
		},
	}
	kf.add(c)
	c.Flags().StringVar(&genotypes, "genotypes", "", "genotype file (CSV with a Pop column, or JSON with population)")
	c.Flags().StringVar(&loci, "loci", "", "loci used: codis20 (default), ess, dna17 or locus names, comma separated")
	c.Flags().IntVar(&pairs, "pairs", 1000, "simulated pairs per relationship")
	c.Flags().IntVar(&dbSize, "db-size", 100_000, "familial-search database size")
	c.Flags().IntVar(&queries, "queries", 100, "familial queries per relationship")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return c
}
