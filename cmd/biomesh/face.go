package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/face"
)

func init() { commands = append(commands, newFaceCmd) }

// faceFlags are the flags every face subcommand shares.
type faceFlags struct {
	models   string
	embedder string
}

func (f *faceFlags) add(c *cobra.Command) {
	c.PersistentFlags().StringVar(&f.models, "models", "", "folder of the model files (default $BIOMESH_FACE_MODELS, else the user cache; see scripts/setup-face)")
	c.PersistentFlags().StringVar(&f.embedder, "embedder", "dlib", "embedding model: dlib, or the path of an ONNX model descriptor (-tags onnx)")
}

func (f *faceFlags) open() (*face.Pipeline, error) {
	return face.Open(face.Options{ModelDir: f.models, Embedder: f.embedder})
}

func newFaceCmd() *cobra.Command {
	var ff faceFlags
	c := &cobra.Command{
		Use:   "face",
		Short: "Detect, extract, compare and evaluate faces",
		Long: "Face detection (dlib HOG), 5-point landmarks, alignment and embeddings (dlib ResNet, or an\n" +
			"ONNX model). Needs a binary built with -tags dlib and the model files that scripts/setup-face\n" +
			"installs.",
	}
	ff.add(c)
	c.AddCommand(newFaceDetectCmd(&ff), newFaceExtractCmd(&ff), newFaceCompareCmd(&ff), newFaceEvalCmd(&ff))
	return c
}

func newFaceDetectCmd(ff *faceFlags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "detect [--json] IMAGE...",
		Short: "List the faces in photos with boxes, scores, landmarks and quality",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := ff.open()
			if err != nil {
				return err
			}
			defer p.Close()
			type faceOut struct {
				face.Face
				Quality face.Quality `json:"quality"`
			}
			all := map[string][]faceOut{}
			failed := 0
			for _, path := range args {
				img, err := face.DecodeFile(path)
				var rs []face.Result
				if err == nil {
					rs, err = p.ExtractAll(path, img)
				}
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed++
					continue
				}
				out := []faceOut{}
				for _, r := range rs {
					out = append(out, faceOut{r.Face, r.Quality})
				}
				all[path] = out
				if asJSON {
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d face(s)\n", path, len(rs))
				for i, r := range rs {
					b := r.Face.Box
					fmt.Fprintf(cmd.OutOrStdout(), "  %d: box %d,%d %dx%d score %.2f eyes %v %v nose %v; %s\n", i+1,
						b.Min.X, b.Min.Y, b.Dx(), b.Dy(), r.Face.Score,
						r.Face.Landmarks.RightEye(), r.Face.Landmarks.LeftEye(), r.Face.Landmarks.Nose, r.Quality)
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(all); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d images failed", failed, len(args))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the faces as JSON")
	return c
}

func newFaceExtractCmd(ff *faceFlags) *cobra.Command {
	var (
		out, chips string
		aligned    bool
	)
	c := &cobra.Command{
		Use:   "extract [--aligned] [--chips DIR] IMAGE... --out DIR",
		Short: "Write the face template of each photo (DIR/NAME.bmf)",
		Long: "Extract embeds the one face of each photo, under enrolment rules: a photo with no face, with\n" +
			"several faces or with a face failing a quality gate is refused with the reason. --aligned\n" +
			"takes the images as aligned chips (no detection). --chips writes each aligned chip as PNG.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			p, err := ff.open()
			if err != nil {
				return err
			}
			defer p.Close()
			failed := 0
			for _, path := range args {
				stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
				t, q, err := extractOne(p, path, aligned, chips, stem)
				if err == nil {
					var b []byte
					if b, err = t.MarshalBinary(); err == nil {
						err = os.WriteFile(filepath.Join(out, stem+".bmf"), b, 0o644)
					}
				}
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, %d-D; %s\n", path, t.Model, len(t.Vector), q)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d images failed", failed, len(args))
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "output directory")
	c.Flags().StringVar(&chips, "chips", "", "write each aligned chip as DIR/NAME.png")
	c.Flags().BoolVar(&aligned, "aligned", false, "the images are aligned chips of the embedder")
	return c
}

func extractOne(p *face.Pipeline, path string, aligned bool, chipDir, stem string) (face.Template, face.Quality, error) {
	img, err := face.DecodeFile(path)
	if err != nil {
		return face.Template{}, face.Quality{}, err
	}
	if aligned {
		return p.ExtractAligned(path, img)
	}
	if chipDir == "" {
		return p.Extract(path, img)
	}
	rs, err := p.ExtractAll(path, img)
	if err != nil {
		return face.Template{}, face.Quality{}, err
	}
	if err := os.MkdirAll(chipDir, 0o755); err != nil {
		return face.Template{}, face.Quality{}, err
	}
	for i, r := range rs {
		name := stem
		if len(rs) > 1 {
			name = fmt.Sprintf("%s-%d", stem, i+1)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, r.Chip.Image()); err != nil {
			return face.Template{}, face.Quality{}, err
		}
		if err := os.WriteFile(filepath.Join(chipDir, name+".png"), b.Bytes(), 0o644); err != nil {
			return face.Template{}, face.Quality{}, err
		}
	}
	if len(rs) != 1 {
		return face.Template{}, face.Quality{}, &face.FaceCountError{Name: path, Count: len(rs)}
	}
	if !rs[0].Quality.OK() {
		return rs[0].Template, rs[0].Quality, &face.QualityError{Name: path, Quality: rs[0].Quality}
	}
	return rs[0].Template, rs[0].Quality, nil
}

func newFaceCompareCmd(ff *faceFlags) *cobra.Command {
	var (
		metric  string
		aligned bool
	)
	c := &cobra.Command{
		Use:   "compare [--metric cosine|l2] A B",
		Short: "Compare two faces (photos or .bmf templates)",
		Long: "Compare prints the calibrated score −10·log10(estimated false match rate) of two faces and\n" +
			"the raw similarity (cosine, or minus the L2 distance). A and B are photos with one face each,\n" +
			"aligned chips with --aligned, or templates written by face extract. Templates alone need no\n" +
			"native backend.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m := face.Cosine
			switch metric {
			case "cosine":
			case "l2":
				m = face.L2
			default:
				return fmt.Errorf("--metric %q: want cosine or l2", metric)
			}
			var p *face.Pipeline
			var ts [2]face.Template
			for i, path := range args {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if bytes.HasPrefix(b, []byte("BMFC")) {
					if err := ts[i].UnmarshalBinary(b); err != nil {
						return fmt.Errorf("%s: %w", path, err)
					}
					continue
				}
				if p == nil {
					if p, err = ff.open(); err != nil {
						return err
					}
					defer p.Close()
				}
				if ts[i], _, err = extractOne(p, path, aligned, "", ""); err != nil {
					return err
				}
			}
			cmp, err := face.NewComparator(ts[0].Model, m)
			if err != nil {
				return err
			}
			raw, err := cmp.Raw(ts[0], ts[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s %.2f (raw %s %.4f)\n", args[0], args[1], cmp.Calibrate(raw), m, raw)
			return nil
		},
	}
	c.Flags().StringVar(&metric, "metric", "cosine", "cosine or l2")
	c.Flags().BoolVar(&aligned, "aligned", false, "image arguments are aligned chips")
	return c
}

// newFaceEvalCmd is `biomesh face eval`; `biomesh eval face` can register the same
// command (it takes the shared flags from ff, or defaults when ff is nil).
func newFaceEvalCmd(ff *faceFlags) *cobra.Command {
	own := ff == nil
	if own {
		ff = &faceFlags{}
	}
	var (
		asJSON, fit, noGates bool
		align                string
	)
	c := &cobra.Command{
		Use:   "eval [--json] [--aligned auto|yes|no] DIR...",
		Short: "Measure face accuracy and speed on labelled folders",
		Long: "Each DIR holds one subfolder of images per person, or images named NAME.jpg, NAME2.jpg, ….\n" +
			"All genuine and impostor pairs of enrolled images: EER, FNMR at FMR 1e-2 and 1e-3; failure to\n" +
			"enrol (no face, several faces, a failed quality gate); ms per photo and per aligned face on one\n" +
			"goroutine; 1:N rank-1 with the first image of each person as gallery. Images exactly the\n" +
			"embedder's chip size (150×150 for dlib) are taken as aligned chips unless --aligned says.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var mode face.AlignMode
			switch align {
			case "auto":
			case "yes":
				mode = face.AlignAll
			case "no":
				mode = face.AlignNone
			default:
				return fmt.Errorf("--aligned %q: want auto, yes or no", align)
			}
			if ff.embedder == "" {
				ff.embedder = "dlib"
			}
			p, err := ff.open()
			if err != nil {
				return err
			}
			defer p.Close()
			reports, err := RunFaceEval(p, args, face.EvalOptions{Align: mode, NoGates: noGates})
			if err != nil {
				return err
			}
			if fit {
				var cos, l2 []float64
				for _, r := range reports {
					cos = append(cos, r.ImpostorCosine...)
					l2 = append(l2, r.ImpostorL2...)
				}
				for _, x := range []struct {
					name string
					raw  []float64
				}{{"cosine", cos}, {"l2", l2}} {
					c, err := eval.FitCalibration(x.raw)
					if err != nil {
						return fmt.Errorf("fitting the %s calibration: %w", x.name, err)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "// %s: fitted on %d impostor comparisons of %d sets.\n%#v\n", x.name, len(x.raw), len(args), c)
				}
				return nil
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"sets": reports})
			}
			for _, r := range reports {
				fmt.Fprintln(cmd.OutOrStdout(), r)
				for _, f := range r.Failures {
					fmt.Fprintf(cmd.OutOrStdout(), "  not enrolled: %s: %s\n", f.Path, f.Reason)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	c.Flags().StringVar(&align, "aligned", "auto", "which images are aligned chips: auto (those of the chip size), yes, no")
	c.Flags().BoolVar(&noGates, "no-gates", false, "enrol faces that fail a quality gate")
	c.Flags().BoolVar(&fit, "fit-calibration", false, "print the cosine and L2 score calibrations fitted on these sets' impostors, as Go source")
	if own {
		ff.add(c)
	}
	return c
}

// RunFaceEval evaluates the pipeline on each folder (see face.Evaluate).
func RunFaceEval(p *face.Pipeline, dirs []string, o face.EvalOptions) ([]*face.EvalReport, error) {
	var out []*face.EvalReport
	for _, d := range dirs {
		r, err := face.Evaluate(p, d, o)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
