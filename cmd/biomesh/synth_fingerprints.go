package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/fingerprint/synth"
)

// newSynthFingerprintsCmd is "synth fingerprints": a synthetic FVC-style database with
// ground truth.
func newSynthFingerprintsCmd() *cobra.Command {
	var (
		persons, fingers, impressions, workers int
		seed                                   uint64
		out, class                             string
		clean, quiet                           bool
	)
	c := &cobra.Command{
		Use:   "fingerprints --persons N --fingers F --impressions I --seed S --out DIR",
		Short: "Generate a synthetic fingerprint database with ground-truth minutiae",
		Long: "Generates N×F synthetic fingers (SFinGe-style master prints: pattern class, zero-pole\n" +
			"orientation field, ridge growth by iterated Gabor filtering) and I impressions of each\n" +
			"(contact area, rotation, translation, elastic distortion, pressure, noise), 500 ppi.\n" +
			"DIR receives FFF_I.png (FFF = 101 + finger index, I = 1…I), ready for 'biomesh eval fvc';\n" +
			"DIR/truth receives the ground truth: FFF_0.iso (the master's minutiae, read off its ridge\n" +
			"skeleton, independently of the extractor), FFF_I.iso (each impression's, ISO/IEC 19794-2)\n" +
			"and FFF.json (class, singular points, transforms).\n" +
			"The same seed always gives the same database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			cl, err := synth.ParseClass(class)
			if err != nil {
				return err
			}
			o := &synth.DatabaseOptions{
				Persons: persons, Fingers: fingers, Impressions: impressions, Seed: seed, Workers: workers,
				Master:     &synth.MasterOptions{Class: cl},
				Impression: &synth.ImpressionOptions{Clean: clean},
			}
			start := time.Now()
			if !quiet {
				o.Progress = func(done, total int) {
					if done%10 == 0 || done == total {
						fmt.Fprintf(cmd.ErrOrStderr(), "\r%d/%d fingers", done, total)
						if done == total {
							fmt.Fprintln(cmd.ErrOrStderr())
						}
					}
				}
			}
			if err := synth.WriteDatabase(out, o); err != nil {
				return err
			}
			n := persons * fingers * impressions
			el := time.Since(start)
			fmt.Fprintf(cmd.OutOrStdout(), "%d images of %d fingers in %s (%.1f s, %.1f images/s)\n",
				n, persons*fingers, out, el.Seconds(), float64(n)/el.Seconds())
			return nil
		},
	}
	c.Flags().IntVar(&persons, "persons", 10, "number of people")
	c.Flags().IntVar(&fingers, "fingers", 1, "fingers per person (1–10)")
	c.Flags().IntVar(&impressions, "impressions", 8, "impressions per finger")
	c.Flags().Uint64Var(&seed, "seed", 1, "database seed")
	c.Flags().StringVar(&out, "out", "", "output directory")
	c.Flags().StringVar(&class, "class", "any", "pattern class of every finger: any, arch, tented_arch, left_loop, right_loop, whorl")
	c.Flags().BoolVar(&clean, "clean", false, "noise-free impressions (geometry still random)")
	c.Flags().IntVar(&workers, "workers", 0, "parallel fingers (0: every core)")
	c.Flags().BoolVar(&quiet, "quiet", false, "no progress on stderr")
	return c
}
