package main

import "github.com/spf13/cobra"

func newSynthCmd() *cobra.Command {
	c := &cobra.Command{Use: "synth", Short: "Generate synthetic fingerprints and templates with ground truth"}
	c.AddCommand(newSynthFingerprintsCmd(), newSynthTemplatesCmd())
	return c
}
