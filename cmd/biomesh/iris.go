package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/iris"
)

func init() { commands = append(commands, newIrisCmd) }

func newIrisCmd() *cobra.Command {
	c := &cobra.Command{Use: "iris", Short: "Extract, compare and evaluate iris codes"}
	c.AddCommand(newIrisExtractCmd(), newIrisCompareCmd(), newIrisRecordCmd(), newIrisEvalCmd())
	return c
}

// parseEye reads --eye.
func parseEye(s string) (iris.Eye, error) {
	switch strings.ToLower(s) {
	case "", "unknown":
		return iris.EyeUnknown, nil
	case "right", "r":
		return iris.EyeRight, nil
	case "left", "l":
		return iris.EyeLeft, nil
	}
	return 0, fmt.Errorf("--eye %q: want left, right or unknown", s)
}

// loadIris reads a native iris template (.bic) or extracts one from an eye image or an
// ISO/IEC 19794-6 record.
func loadIris(path string, opts *iris.Options) (*iris.Template, iris.Quality, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, iris.Quality{}, err
	}
	if bytes.HasPrefix(data, []byte("BIC")) {
		var t iris.Template
		if err := t.UnmarshalBinary(data); err != nil {
			return nil, iris.Quality{}, fmt.Errorf("%s: %w", path, err)
		}
		return &t, iris.Quality{UsableBits: t.UsableBits()}, nil
	}
	img, err := iris.DecodeImage(data)
	if err != nil {
		return nil, iris.Quality{}, fmt.Errorf("%s: %w", path, err)
	}
	t, q, err := iris.Extract(img, opts)
	if err != nil {
		return nil, q, fmt.Errorf("%s: %w", path, err)
	}
	return t, q, nil
}

func newIrisExtractCmd() *cobra.Command {
	var eye, out, debugDir string
	c := &cobra.Command{
		Use:   "extract [--eye left|right] [--debug-dir D] IMAGE... --out DIR",
		Short: "Extract iris codes from near-infrared eye images",
		Long: "Extract reads each eye image (JPEG, PNG, BMP, TIFF or an ISO/IEC 19794-6 record), segments\n" +
			"it, encodes the iris and writes DIR/NAME.bic (the native template). One line per image reports\n" +
			"the boundaries and quality, or the quality gates that refused it.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := parseEye(eye)
			if err != nil {
				return err
			}
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			failed := 0
			for _, path := range args {
				stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
				t, q, err := loadIris(path, &iris.Options{Eye: e, DebugDir: debugDir, DebugName: stem})
				if err == nil {
					var b []byte
					if b, err = t.MarshalBinary(); err == nil {
						dst := filepath.Join(out, stem+".bic")
						if err = os.WriteFile(dst, b, 0o644); err == nil {
							fmt.Fprintf(cmd.OutOrStdout(), "%s -> %s: pupil (%.1f, %.1f) r %.1f, iris (%.1f, %.1f) r %.1f, %d usable bits, occlusion %.0f%%, quality %d\n",
								path, dst, t.Pupil.X, t.Pupil.Y, t.Pupil.R, t.Iris.X, t.Iris.Y, t.Iris.R, q.UsableBits, 100*q.Occlusion, t.Quality)
							continue
						}
					}
				}
				failed++
				fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d inputs failed", failed, len(args))
			}
			return nil
		},
	}
	c.Flags().StringVar(&eye, "eye", "", "which eye the images show: left, right or unknown")
	c.Flags().StringVar(&out, "out", "", "output directory")
	c.Flags().StringVar(&debugDir, "debug-dir", "", "write the segmentation overlay and the normalised strip of each image as PNG here")
	return c
}

func newIrisCompareCmd() *cobra.Command {
	var pairs string
	c := &cobra.Command{
		Use:   "compare (A B | --pairs FILE)",
		Short: "Compare iris pairs (images, ISO 19794-6 records or .bic templates)",
		Long: "Compare prints PATH1 PATH2 SCORE DISTANCE BITS SHIFT for each pair: SCORE on the calibrated\n" +
			"scale −10·log10(estimated false match rate) (30 means about one false match in 1,000\n" +
			"impostor comparisons), the normalised Hamming distance at the best rotation, the bits\n" +
			"compared there and that rotation in code positions. With --pairs, each line of FILE holds two paths.",
		RunE: func(cmd *cobra.Command, args []string) error {
			var list [][2]string
			switch {
			case pairs != "" && len(args) == 0:
				f, err := os.Open(pairs)
				if err != nil {
					return err
				}
				defer f.Close()
				sc := bufio.NewScanner(f)
				line := 0
				for sc.Scan() {
					line++
					fields := strings.Fields(sc.Text())
					if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
						continue
					}
					if len(fields) != 2 {
						return fmt.Errorf("%s:%d: want two paths, got %d fields", pairs, line, len(fields))
					}
					list = append(list, [2]string{fields[0], fields[1]})
				}
				if err := sc.Err(); err != nil {
					return fmt.Errorf("%s: %w", pairs, err)
				}
			case pairs == "" && len(args) == 2:
				list = append(list, [2]string{args[0], args[1]})
			default:
				return fmt.Errorf("give two paths or --pairs FILE")
			}
			type loaded struct {
				t   *iris.Template
				p   *iris.Probe
				err error
			}
			cache := map[string]*loaded{}
			get := func(path string) *loaded {
				if l, ok := cache[path]; ok {
					return l
				}
				l := &loaded{}
				if l.t, _, l.err = loadIris(path, nil); l.err == nil {
					l.p = iris.Prepare(l.t)
				}
				cache[path] = l
				return l
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			failed := 0
			for _, pr := range list {
				a, b := get(pr[0]), get(pr[1])
				if a.err != nil || b.err != nil {
					for _, l := range []*loaded{a, b} {
						if l.err != nil {
							fmt.Fprintln(cmd.ErrOrStderr(), "error:", l.err)
						}
					}
					failed++
					fmt.Fprintf(w, "%s %s error\n", pr[0], pr[1])
					continue
				}
				r := a.p.Detail(b.t)
				fmt.Fprintf(w, "%s %s %.2f %.4f %d %d\n", pr[0], pr[1], r.Score, r.Distance, r.Bits, r.Shift)
			}
			if failed > 0 {
				return fmt.Errorf("%d pairs could not be compared", failed)
			}
			return nil
		},
	}
	c.Flags().StringVar(&pairs, "pairs", "", "file of path pairs, one pair per line")
	return c
}

func newIrisRecordCmd() *cobra.Command {
	var eye, out string
	c := &cobra.Command{
		Use:   "record [--eye left|right] IMAGE... --out DIR",
		Short: "Wrap eye images in ISO/IEC 19794-6:2005 iris image records",
		Long: "Record writes DIR/NAME.iir for each image: JPEG files are stored as they are (mono JPEG),\n" +
			"other images as PNG.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := parseEye(eye)
			if err != nil {
				return err
			}
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			for _, path := range args {
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				img, err := iris.DecodeImage(data)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				format := uint16(iris.ISOMonoJPEG)
				if !bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
					var buf bytes.Buffer
					if err := png.Encode(&buf, img); err != nil {
						return err
					}
					data, format = buf.Bytes(), iris.ISOMonoPNG
				}
				b := img.Bounds()
				rec, err := iris.EncodeISO(iris.NewISORecord(e, format, b.Dx(), b.Dy(), data, 254))
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				dst := filepath.Join(out, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".iir")
				if err := os.WriteFile(dst, rec, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s -> %s: %d bytes\n", path, dst, len(rec))
			}
			return nil
		},
	}
	c.Flags().StringVar(&eye, "eye", "", "which eye the images show: left, right or unknown")
	c.Flags().StringVar(&out, "out", "", "output directory")
	return c
}

func newIrisEvalCmd() *cobra.Command {
	var (
		asJSON   bool
		debugDir string
		fit      bool
		workers  int
	)
	c := &cobra.Command{
		Use:   "eval [--json] [--debug-dir D] DIR",
		Short: "Measure iris accuracy and speed on a folder of eyes",
		Long: "DIR holds one folder per eye (the CASIA layout N/NNN_S_I.jpg). Eval extracts every image and\n" +
			"compares all genuine pairs (same eye) and all impostor pairs (different eyes): EER, FNMR at FMR\n" +
			"1e-3 and 1e-4, failure to enrol, extraction ms/image, comparisons/s; and 1:N rank-1 with the\n" +
			"first image of each eye as gallery.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := iris.Evaluate(args[0], &iris.EvalOptions{DebugDir: debugDir, Workers: workers})
			if err != nil {
				return err
			}
			if fit {
				c, err := eval.FitCalibration(r.ImpostorRaw)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "// Fitted on %d impostor comparisons.\n%#v\n", len(r.ImpostorRaw), c)
				return nil
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			fmt.Fprintln(cmd.OutOrStdout(), r)
			for _, f := range r.Failures {
				fmt.Fprintln(cmd.OutOrStdout(), "  failed:", f)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	c.Flags().StringVar(&debugDir, "debug-dir", "", "write each image's segmentation overlay and normalised strip as PNG here")
	c.Flags().BoolVar(&fit, "fit-calibration", false, "print the comparator's score calibration fitted on these impostors, as Go source")
	c.Flags().IntVar(&workers, "workers", 0, "extraction goroutines (default: one per core); 1 times extraction on one core")
	return c
}
