package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/internal/imageio"
	"github.com/biomesh/biomesh/wsq"
)

func init() { commands = append(commands, newWSQCmd) }

func newWSQCmd() *cobra.Command {
	c := &cobra.Command{Use: "wsq", Short: "Encode and decode WSQ fingerprint images"}
	c.AddCommand(newWSQDecodeCmd(), newWSQEncodeCmd())
	return c
}

// replaceExt returns path with its extension replaced by ext.
func replaceExt(path, ext string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ext
}

// writeOutput writes data to path, removing a partial file on failure.
func writeOutput(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

func newWSQDecodeCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "decode IN.wsq [-o OUT.png]",
		Short: "Decode a WSQ image to an 8-bit grey PNG",
		Long: "Decode reads a WSQ (FBI Wavelet Scalar Quantization) file and writes it as an 8-bit grey PNG,\n" +
			"by default next to the input with the extension .png. It prints the size and the resolution\n" +
			"recorded in the file's NIST_COM comment.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			if out == "" {
				out = replaceExt(in, ".png")
			}
			data, err := os.ReadFile(in)
			if err != nil {
				return err
			}
			img, info, err := wsq.DecodeAll(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return fmt.Errorf("%s: %w", out, err)
			}
			if err := writeOutput(out, buf.Bytes()); err != nil {
				return err
			}
			ppi := "unknown resolution"
			if info.PPI > 0 {
				ppi = fmt.Sprintf("%d ppi", info.PPI)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s -> %s: %d×%d, %s\n", in, out, info.Width, info.Height, ppi)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "output PNG file (default: the input with extension .png)")
	return c
}

func newWSQEncodeCmd() *cobra.Command {
	var (
		out     string
		bitRate float64
		ppi     int
	)
	c := &cobra.Command{
		Use:   "encode IN.(png|tif|bmp|pgm|jpg|wsq) [-o OUT.wsq] [--bitrate 0.75] [--ppi 500]",
		Short: "Encode a grey image as WSQ",
		Long: "Encode compresses an image (colour is converted to grey) as WSQ at the given bit rate\n" +
			"(0.75 bit/pixel, the FBI's rate for 500 ppi prints, by default) and writes it, by default\n" +
			"next to the input with the extension .wsq. The resolution written to the NIST_COM comment\n" +
			"is --ppi, else the input file's, else 500. It prints the compressed size and ratio.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			if out == "" {
				out = replaceExt(in, ".wsq")
			}
			if out == in {
				return fmt.Errorf("%s: output would overwrite the input; give -o", in)
			}
			if ppi < 0 {
				return fmt.Errorf("--ppi %d: must be positive", ppi)
			}
			img, filePPI, err := imageio.Load(in, 0)
			if err != nil {
				return err // imageio errors name the file
			}
			res := ppi
			if res == 0 {
				res = filePPI
			}
			if res == 0 {
				res = 500
			}
			var buf bytes.Buffer
			if err := wsq.Encode(&buf, img, &wsq.Options{BitRate: bitRate, PPI: res}); err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			if err := writeOutput(out, buf.Bytes()); err != nil {
				return err
			}
			b := img.Bounds()
			rate := bitRate
			if rate == 0 {
				rate = wsq.DefaultBitRate
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s -> %s: %d×%d, %d ppi, %d bytes, %.1f:1 at %.2f bit/pixel\n",
				in, out, b.Dx(), b.Dy(), res, buf.Len(), float64(b.Dx()*b.Dy())/float64(buf.Len()), rate)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "output WSQ file (default: the input with extension .wsq)")
	c.Flags().Float64Var(&bitRate, "bitrate", wsq.DefaultBitRate, "target bit rate in bits per pixel, (0, 8]")
	c.Flags().IntVar(&ppi, "ppi", 0, "resolution to record in pixels per inch (default: the input file's, else 500)")
	return c
}
