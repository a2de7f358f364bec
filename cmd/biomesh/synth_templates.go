package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
)

// synthStreamMagic opens the synthetic template stream written by "biomesh synth templates".
//
// The stream (all integers big-endian):
//
//	offset  size  field
//	     0     8  magic "BMSYNTH1"
//	     8     8  seed
//	    16     4  persons
//	    20     4  fingers per person
//	    24     4  impressions per finger
//	    28     1  parameters: 0 plain impressions (synthtpl.DefaultParams), 1 rolled (RolledParams)
//	    29        records, in the order person, finger, impression, each:
//	              4  person  (0 … persons−1)
//	              2  finger  (0 … fingers−1)
//	              2  impression (0 … impressions−1)
//	              2  length n of the template
//	              n  the template in the native form (fingerprint.Template.MarshalBinary,
//	                 which carries its own CRC-32; read it with fingerprint.Decode)
//
// Plain impressions average 44 minutiae, 327 bytes, 337 with the record header:
// 1,000,000 templates take 336 MB, 10,000,000 about 3.4 GB. The stream is a function of the
// seed, the counts, the parameters and the generator's version: the same command writes the
// same bytes on any machine and any number of cores.
const synthStreamMagic = "BMSYNTH1"

// newSynthTemplatesCmd is "biomesh synth templates" (the stream above).
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
			"templates with their person, finger and impression numbers (see the format in\n" +
			"cmd/biomesh/synth_templates.go). The output depends only on the seed, the counts and --rolled.\n" +
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
			if persons > 1<<32-1 {
				return fmt.Errorf("%d persons: the stream holds at most %d", persons, 1<<32-1)
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
			start := time.Now()
			n, bytes, err := writeSynthStream(cmd, w, seed, rolled, persons, fingers, impressions)
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

// writeSynthStream writes the stream's header and records to w and returns the number of
// templates and bytes written.
func writeSynthStream(cmd *cobra.Command, w io.Writer, seed uint64, rolled bool, persons, fingers, impressions int) (int64, int64, error) {
	p, preset := synthtpl.DefaultParams(), byte(0)
	if rolled {
		p, preset = synthtpl.RolledParams(), 1
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	hdr := make([]byte, 0, 29)
	hdr = append(hdr, synthStreamMagic...)
	hdr = binary.BigEndian.AppendUint64(hdr, seed)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(persons))
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(fingers))
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(impressions))
	hdr = append(hdr, preset)
	if _, err := bw.Write(hdr); err != nil {
		return 0, 0, err
	}
	n, size := int64(0), int64(len(hdr))
	rec := make([]byte, 0, 10)
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	err := synthtpl.Generate(ctx, seed, p, persons, fingers, impressions,
		func(person, finger, impression int, t *fingerprint.Template) error {
			b, err := t.MarshalBinary()
			if err != nil {
				return err
			}
			rec = binary.BigEndian.AppendUint32(rec[:0], uint32(person))
			rec = binary.BigEndian.AppendUint16(rec, uint16(finger))
			rec = binary.BigEndian.AppendUint16(rec, uint16(impression))
			rec = binary.BigEndian.AppendUint16(rec, uint16(len(b)))
			if _, err := bw.Write(rec); err != nil {
				return err
			}
			if _, err := bw.Write(b); err != nil {
				return err
			}
			n++
			size += int64(len(rec) + len(b))
			return nil
		})
	if err != nil {
		return n, size, err
	}
	return n, size, bw.Flush()
}
