package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/extract"
	"github.com/biomesh/biomesh/fingerprint/input"
	"github.com/biomesh/biomesh/fingerprint/match"
)

func newFingerprintCmd() *cobra.Command {
	c := &cobra.Command{Use: "fingerprint", Short: "Extract and compare fingerprint templates"}
	c.AddCommand(newExtractCmd(), newCompareCmd(), newConvertCmd())
	return c
}

// templateFormats maps --format values to file extensions and encoders.
var templateFormats = map[string]struct {
	ext    string
	encode func(*fingerprint.Template) ([]byte, error)
}{
	"iso":    {".iso", fingerprint.EncodeISO},
	"ansi":   {".ansi", fingerprint.EncodeANSI},
	"native": {".bmt", func(t *fingerprint.Template) ([]byte, error) { return t.MarshalBinary() }},
}

func newExtractCmd() *cobra.Command {
	var (
		dpi      int
		format   string
		out      string
		debugDir string
	)
	c := &cobra.Command{
		Use:   "extract [--dpi N] [--format iso|ansi|native] IMAGE... --out DIR",
		Short: "Extract minutiae templates from fingerprint images",
		Long: "Extract reads each image (TIFF, PNG, BMP, PGM, JPEG; 250–1000 ppi, from the file or --dpi),\n" +
			"finds its minutiae and writes DIR/NAME.iso, .ansi or .bmt. One line per image reports the\n" +
			"minutiae count and quality, or the reason it failed.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeTemplates(cmd, args, format, out, func(path, stem string) (*fingerprint.Template, error) {
				return input.File(path, &input.Options{DPI: dpi, Extract: &extract.Options{DebugDir: debugDir, DebugName: stem}})
			})
		},
	}
	c.Flags().IntVar(&dpi, "dpi", 0, "scanner resolution in pixels per inch (250–1000); default: from the file, else 500")
	c.Flags().StringVar(&format, "format", "iso", "template format: iso (ISO/IEC 19794-2:2005), ansi (INCITS 378-2004) or native")
	c.Flags().StringVar(&out, "out", "", "output directory")
	c.Flags().StringVar(&debugDir, "debug-dir", "", "write a PNG of every extraction stage into this directory")
	return c
}

func newCompareCmd() *cobra.Command {
	var (
		pairs string
		dpi   int
	)
	c := &cobra.Command{
		Use:   "compare --pairs FILE",
		Short: "Compare fingerprint pairs (images or templates)",
		Long: "Each line of FILE holds two paths, images or templates (ISO, ANSI or native). For each line,\n" +
			"compare prints PATH1 PATH2 SCORE in order. SCORE is on the calibrated scale\n" +
			"−10·log10(estimated false match rate): 30 means about one false match in 1,000 impostor comparisons.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if pairs == "" {
				return fmt.Errorf("--pairs FILE is required")
			}
			f, err := os.Open(pairs)
			if err != nil {
				return err
			}
			defer f.Close()
			type loaded struct {
				p   *match.Probe
				err error
			}
			cache := map[string]loaded{}
			get := func(path string) loaded {
				if l, ok := cache[path]; ok {
					return l
				}
				var l loaded
				t, err := input.File(path, &input.Options{DPI: dpi})
				if err != nil {
					l.err = err
				} else {
					l.p = match.Prepare(t)
				}
				cache[path] = l
				return l
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			sc := bufio.NewScanner(f)
			line, failed := 0, 0
			for sc.Scan() {
				line++
				fields := strings.Fields(sc.Text())
				if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
					continue
				}
				if len(fields) != 2 {
					return fmt.Errorf("%s:%d: want two paths, got %d fields", pairs, line, len(fields))
				}
				a, b := get(fields[0]), get(fields[1])
				for _, l := range []loaded{a, b} {
					if l.err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "error:", l.err)
					}
				}
				if a.err != nil || b.err != nil {
					failed++
					fmt.Fprintf(w, "%s %s %s\n", fields[0], fields[1], "error")
					continue
				}
				fmt.Fprintf(w, "%s %s %.2f\n", fields[0], fields[1], a.p.Compare(&b.p.Candidate))
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("%s: %w", pairs, err)
			}
			if failed > 0 {
				return fmt.Errorf("%d pairs could not be compared", failed)
			}
			return nil
		},
	}
	c.Flags().StringVar(&pairs, "pairs", "", "file of path pairs, one pair per line")
	c.Flags().IntVar(&dpi, "dpi", 0, "resolution of images whose file does not say (250–1000)")
	return c
}

func newConvertCmd() *cobra.Command {
	var (
		format string
		out    string
	)
	c := &cobra.Command{
		Use:   "convert --format iso|ansi|native TEMPLATE... --out DIR",
		Short: "Convert templates between ISO/IEC 19794-2, ANSI INCITS 378 and the native form",
		Long: "Convert reads each template (native, ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004, told apart\n" +
			"by their headers), takes its first finger view at 500 ppi and writes it to DIR in --format.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeTemplates(cmd, args, format, out, func(path, _ string) (*fingerprint.Template, error) {
				data, err := os.ReadFile(path)
				if err != nil {
					return nil, err
				}
				if !input.IsTemplate(data) {
					return nil, fmt.Errorf("%s: not a template (want native, ISO 19794-2 or ANSI 378)", path)
				}
				t, err := fingerprint.ParseTemplate(data)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				return t, nil
			})
		},
	}
	c.Flags().StringVar(&format, "format", "iso", "output format: iso, ansi or native")
	c.Flags().StringVar(&out, "out", "", "output directory")
	return c
}

// writeTemplates turns each path into a template with get and writes it to DIR/STEM.EXT
// in format, with one line per path saying what was written or why it failed. It fails
// when any path failed, after trying them all.
func writeTemplates(cmd *cobra.Command, paths []string, format, out string, get func(path, stem string) (*fingerprint.Template, error)) error {
	f, ok := templateFormats[format]
	if !ok {
		return fmt.Errorf("--format %q: want iso, ansi or native", format)
	}
	if out == "" {
		return fmt.Errorf("--out DIR is required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	failed := 0
	for _, path := range paths {
		stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t, err := get(path, stem)
		if err == nil {
			var b []byte
			if b, err = f.encode(t); err == nil {
				dst := filepath.Join(out, stem+f.ext)
				if err = os.WriteFile(dst, b, 0o644); err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s -> %s: %d minutiae, quality %d, %d bytes\n", path, dst, len(t.Minutiae), t.Quality, len(b))
					continue
				}
			}
		}
		failed++
		fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs failed", failed, len(paths))
	}
	return nil
}
