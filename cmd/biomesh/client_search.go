package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/store"
)

// candidateJSON is one person of a candidate list.
type candidateJSON struct {
	PersonID string           `json:"person_id"`
	Score    float64          `json:"score"`
	Fingers  []float64        `json:"finger_scores"`
	Person   *store.Person    `json:"person"`
	Watch    store.WatchLevel `json:"watch"`
}

func printWarnings(cmd *cobra.Command, ws []string) {
	for _, w := range ws {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
}

// printCandidates writes a candidate table; thr marks the candidates at or above it.
func printCandidates(w io.Writer, cs []candidateJSON, thr float64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tPERSON\tSCORE\tWATCH\tNAME\tFINGER SCORES")
	for i, c := range cs {
		mark := " "
		if c.Score >= thr {
			mark = "*"
		}
		name := ""
		if c.Person != nil {
			name = c.Person.Name
		}
		fs := make([]string, len(c.Fingers))
		for j, s := range c.Fingers {
			fs[j] = fmt.Sprintf("%.1f", s)
		}
		fmt.Fprintf(tw, "%s%d\t%s\t%.1f\t%s\t%s\t%s\n", mark, i+1, c.PersonID, c.Score, orDash(string(c.Watch)), orDash(name), strings.Join(fs, " "))
	}
	tw.Flush()
}

func newIdentifyCmd(o *clientOpts) *cobra.Command {
	var (
		k       int
		dpi     int
		dnaFile string
	)
	c := &cobra.Command{
		Use:   "identify [--candidates K] [--dna PROFILE.json] FINGER...",
		Short: "1:N identification: search fingerprints against a node's gallery",
		Long: `Searches the fingers against every enrolled person and prints the decision (hit or no
hit, at the node's FPIR) and the candidate list, best first; * marks candidates at or above
the threshold. Names appear for analysts and admins of the owning organisation.
Each FINGER is POS=PATH (POS 1–10, or 0/unknown) or PATH: an image (PNG, JPEG, TIFF, BMP,
PGM) or a template (.iso, .ansi, .bmt). Roles: enroller, analyst, admin.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if k < 0 || k > 100 {
				return fmt.Errorf("--candidates %d: 1–100 (0 for the node's default)", k)
			}
			if err := checkDPI(dpi); err != nil {
				return err
			}
			files, err := fingerArgs(args)
			if err != nil && !(len(args) == 0 && dnaFile != "") {
				return err
			}
			if dnaFile != "" {
				f, err := dnaSample(dnaFile)
				if err != nil {
					return err
				}
				files = append(files, f)
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				Decision   string          `json:"decision"`
				Threshold  float64         `json:"threshold"`
				FPIR       float64         `json:"fpir"`
				Gallery    int             `json:"gallery_persons"`
				Candidates []candidateJSON `json:"candidates"`
				Warnings   []string        `json:"warnings"`
			}
			body := map[string]any{"samples": samplesJSON(files, dpi), "candidates": k}
			if err := cl.call(cmd.Context(), "POST", "/v1/identify", body, &r); err != nil {
				return sampleNames(err, files)
			}
			if cl.json {
				return nil
			}
			w := cmd.OutOrStdout()
			scope := fmt.Sprintf("threshold %.1f, %d persons searched at FPIR %g", r.Threshold, r.Gallery, r.FPIR)
			if r.Decision == "hit" {
				best := r.Candidates[0]
				name := ""
				if best.Person != nil && best.Person.Name != "" {
					name = " " + best.Person.Name
				}
				fmt.Fprintf(w, "HIT %s%s score %.1f (%s)\n", best.PersonID, name, best.Score, scope)
			} else {
				fmt.Fprintf(w, "no hit (%s)\n", scope)
			}
			if len(r.Candidates) > 0 {
				printCandidates(w, r.Candidates, r.Threshold)
			}
			printWarnings(cmd, r.Warnings)
			return nil
		},
	}
	c.Flags().IntVar(&k, "candidates", 0, "candidate-list length, 1–100 (default: the node's, 10)")
	c.Flags().StringVar(&dnaFile, "dna", "", "a DNA STR profile (JSON) to search with, alone or with fingers")
	addDPIFlag(c, &dpi)
	return c
}

func newVerifyCmd(o *clientOpts) *cobra.Command {
	var (
		person string
		dpi    int
	)
	c := &cobra.Command{
		Use:   "verify --person ID FINGER...",
		Short: "1:1 verification: are these the fingers of person ID?",
		Long: `Compares the fingers with the enrolled fingers of one person only and prints MATCH or
NO MATCH (at the node's FMR) with the score. FINGER as for identify.
Roles: enroller, screener, analyst, admin.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if person == "" {
				return fmt.Errorf("--person ID: the claimed identity is required")
			}
			if err := checkDPI(dpi); err != nil {
				return err
			}
			files, err := fingerArgs(args)
			if err != nil {
				return err
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				PersonID  string    `json:"person_id"`
				Match     bool      `json:"match"`
				Score     float64   `json:"score"`
				Threshold float64   `json:"threshold"`
				FMR       float64   `json:"fmr"`
				Fingers   []float64 `json:"finger_scores"`
			}
			if err := cl.call(cmd.Context(), "POST", "/v1/verify", map[string]any{"person_id": person, "samples": samplesJSON(files, dpi)}, &r); err != nil {
				return sampleNames(err, files)
			}
			if cl.json {
				return nil
			}
			verdict, cmp := "MATCH", "≥"
			if !r.Match {
				verdict, cmp = "NO MATCH", "<"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: score %.1f %s threshold %.1f (FMR %g)\n", verdict, r.PersonID, r.Score, cmp, r.Threshold, r.FMR)
			for i, s := range r.Fingers {
				if i < len(files) {
					fmt.Fprintf(cmd.OutOrStdout(), "  %-30s %.1f\n", files[i].arg, s)
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&person, "person", "", "the claimed person ID (P-…)")
	addDPIFlag(c, &dpi)
	return c
}

func newEncounterCmd(o *clientOpts) *cobra.Command {
	var (
		place, unit, device, outcome string
		lat, lon                     float64
		dpi                          int
	)
	c := &cobra.Command{
		Use:   "encounter [--place P] [--lat X --lon Y] [--unit U] [--device D] [--outcome O] FINGER...",
		Short: "Identify and log an encounter, as a hand-held device does",
		Long: `Searches the fingers (one 1:N search at the node's FPIR), logs the encounter and prints
what the unit should do, e.g.

  HIT P-7KQ2… watch detain → RED
  no hit → GREEN

RED: a person at watch level alert or detain (an alert goes to every "biomesh alerts");
YELLOW: a hit at watch none or monitor; GREEN: no hit. Screeners see no person ID.
FINGER as for identify. Roles: enroller, screener, analyst, admin.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("lat") != cmd.Flags().Changed("lon") {
				return fmt.Errorf("--lat and --lon: give both or neither")
			}
			if err := checkDPI(dpi); err != nil {
				return err
			}
			files, err := fingerArgs(args)
			if err != nil {
				return err
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			body := map[string]any{"samples": samplesJSON(files, dpi), "place": place, "unit": unit, "device": device, "outcome": outcome}
			if cmd.Flags().Changed("lat") {
				body["lat"], body["lon"] = lat, lon
			}
			var r struct {
				EncounterID string           `json:"encounter_id"`
				Hit         bool             `json:"hit"`
				Watch       store.WatchLevel `json:"watch"`
				Action      string           `json:"action"`
				PersonID    string           `json:"person_id"`
				Score       float64          `json:"score"`
				Person      *store.Person    `json:"person"`
				Threshold   float64          `json:"threshold"`
				Warnings    []string         `json:"warnings"`
			}
			if err := cl.call(cmd.Context(), "POST", "/v1/encounters", body, &r); err != nil {
				return sampleNames(err, files)
			}
			if cl.json {
				return nil
			}
			w := cmd.OutOrStdout()
			if !r.Hit {
				fmt.Fprintf(w, "no hit → %s\n  encounter %s\n", strings.ToUpper(r.Action), r.EncounterID)
				printWarnings(cmd, r.Warnings)
				return nil
			}
			who := ""
			if r.PersonID != "" {
				who = " " + r.PersonID
			}
			fmt.Fprintf(w, "HIT%s watch %s → %s\n", who, r.Watch, strings.ToUpper(r.Action))
			detail := "  encounter " + r.EncounterID
			if r.PersonID != "" {
				detail += fmt.Sprintf(", score %.1f (threshold %.1f)", r.Score, r.Threshold)
			}
			if r.Person != nil {
				if r.Person.Name != "" {
					detail += ", " + r.Person.Name
				}
				if r.Person.Watch.Reason != "" {
					detail += ", watch reason: " + r.Person.Watch.Reason
				}
			}
			fmt.Fprintln(w, detail)
			printWarnings(cmd, r.Warnings)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&place, "place", "", "where the encounter happened")
	f.Float64Var(&lat, "lat", 0, "latitude, −90..90 (with --lon)")
	f.Float64Var(&lon, "lon", 0, "longitude, −180..180 (with --lat)")
	f.StringVar(&unit, "unit", "", "the unit making the check")
	f.StringVar(&device, "device", "", "the capture device")
	f.StringVar(&outcome, "outcome", "", "what came of it, e.g. released, detained, referred")
	addDPIFlag(c, &dpi)
	return c
}
