package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/eval"

	"github.com/biomesh/biomesh/fingerprint/fvc"
	"github.com/biomesh/biomesh/fingerprint/input"
)

func newEvalCmd() *cobra.Command {
	c := &cobra.Command{Use: "eval", Short: "Measure accuracy and speed on evaluation databases"}
	c.AddCommand(newEvalFVCCmd(), renamed(newIrisEvalCmd(), "iris"), renamed(newDNAEvalCmd(), "dna"), renamed(newFaceEvalCmd(nil), "face"))
	return c
}

// renamed returns a modality's "eval" command under the name used below "biomesh eval":
// "biomesh iris eval DIR" is also "biomesh eval iris DIR".
func renamed(c *cobra.Command, name string) *cobra.Command {
	c.Use = name + strings.TrimPrefix(c.Use, "eval")
	return c
}

func newEvalFVCCmd() *cobra.Command {
	var (
		asJSON bool
		dpi    int
		fit    bool
	)
	c := &cobra.Command{
		Use:   "fvc [--json] [--dpi N] DIR[@PPI]...",
		Short: "Run the FVC protocol on folders of FFF_I images",
		Long: "For each folder of FVC-style impressions (FFF_I.tif, …): extraction of every image, all\n" +
			"genuine pairs, the FVC impostor pairs (first impressions) and all cross-finger impostor\n" +
			"pairs; EER, FMR100, FMR1000, ZeroFMR, failure to enrol, extraction ms/image,\n" +
			"comparisons/s; and 1:N with impression 1 of each finger as gallery: rank-1 and FNIR at FPIR 1%.\n" +
			"FVC's TIFFs carry no resolution: give it per folder as DIR@PPI (FVC2002 DB2 is DB2_B@569),\n" +
			"or for all folders with --dpi; 500 ppi otherwise.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var results []*fvc.Result
			var raw []float64
			sum := 0.0
			for _, arg := range args {
				dir, ppi, err := dirSpec(arg, dpi)
				if err != nil {
					return err
				}
				r, err := fvc.Run(dir, &fvc.Options{Input: input.Options{DPI: ppi}})
				if err != nil {
					return err
				}
				results = append(results, r)
				raw = append(raw, r.ImpostorRaw...)
				sum += r.All.EER
				if !asJSON {
					fmt.Fprintln(cmd.OutOrStdout(), r)
				}
			}
			if fit {
				c, err := eval.FitCalibration(raw)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "// Fitted on %d impostor comparisons of %d databases.\n%#v\n", len(raw), len(args), c)
				return nil
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"databases": results, "mean_eer_all": sum / float64(len(results))})
			}
			worst := 0.0
			for _, r := range results {
				worst = max(worst, r.All.EER)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "mean EER (all impostors) over %d databases: %.2f%%, worst %.2f%%\n", len(results), 100*sum/float64(len(results)), 100*worst)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	c.Flags().BoolVar(&fit, "fit-calibration", false, "print the comparator's score calibration fitted on these databases' impostors, as Go source")
	c.Flags().IntVar(&dpi, "dpi", 0, "resolution of images whose file does not say (250–1000)")
	return c
}

// dirSpec splits DIR@PPI; without @PPI the resolution is def.
func dirSpec(arg string, def int) (string, int, error) {
	i := strings.LastIndex(arg, "@")
	if i < 0 {
		return arg, def, nil
	}
	ppi, err := strconv.Atoi(arg[i+1:])
	if err != nil || ppi <= 0 {
		return "", 0, fmt.Errorf("%s: resolution after @ must be a positive number of pixels per inch", arg)
	}
	return arg[:i], ppi, nil
}
