package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/fingerprint/synthtpl"
)

// newSynthTemplatesCmd is "biomesh synth templates": the stream of
// synthtpl.NewWriter (its format is documented in fingerprint/synthtpl/stream.go).
func newSynthTemplatesCmd() *cobra.Command {
	var (
		persons, fingers, impressions int
		seed                          uint64
		out                           string
		rolled                        bool
	)
	c := &cobra.Command{
		Use:   "templates --persons N [--fingers F] [--impressions I] [--seed S] [--rolled] --out FILE",
		Short: "Generate synthetic finger-minutiae templates for scale tests",
		Long: "Templates generates N persons × F fingers × I impressions of synthetic minutiae templates\n" +
			"(package fingerprint/synthtpl: realistic counts, spacing and ridge flow; impressions with\n" +
			"rotation, elastic distortion, partial contact, missing and spurious minutiae) on all cores\n" +
			"and writes them to FILE (\"-\" for standard output) as a stream of length-prefixed native\n" +
			"templates with their person, finger and impression numbers (format: fingerprint/synthtpl/\n" +
			"stream.go; Go programs read it with synthtpl.NewReader). The output depends only on the\n" +
			"seed, the counts and --rolled.\n" +
			"Plain impressions are tuned to score like FVC's with this engine's comparator; --rolled makes\n" +
			"larger, richer rolled prints (not calibrated).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out FILE is required")
			}
			if err := synthtpl.CheckCounts(persons, fingers, impressions); err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			var f *os.File
			if out != "-" {
				var err error
				if f, err = os.Create(out); err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			h := synthtpl.StreamHeader{Seed: seed, Persons: persons, Fingers: fingers, Impressions: impressions}
			if rolled {
				h.Preset = synthtpl.Rolled
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			start := time.Now()
			bytes, err := synthtpl.WriteStream(ctx, w, h)
			n := h.Templates()
			if err == nil && f != nil {
				err = f.Close()
			}
			if err != nil {
				return err
			}
			el := time.Since(start)
			fmt.Fprintf(cmd.ErrOrStderr(), "%d templates (%d persons × %d fingers × %d impressions), %d bytes in %.1f s: %.0f templates/s\n",
				n, persons, fingers, impressions, bytes, el.Seconds(), float64(n)/el.Seconds())
			return nil
		},
	}
	c.Flags().IntVar(&persons, "persons", 0, "number of persons")
	c.Flags().IntVar(&fingers, "fingers", 10, "fingers per person (0–9 get ISO finger positions 1–10)")
	c.Flags().IntVar(&impressions, "impressions", 1, "impressions per finger")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	c.Flags().StringVar(&out, "out", "", "output file, or - for standard output")
	c.Flags().BoolVar(&rolled, "rolled", false, "rolled prints instead of plain impressions")
	return c
}
