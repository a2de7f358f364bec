package main

// biomesh import and biomesh export: ANSI/NIST-ITL transactions in and out of a node.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/interchange"
	"github.com/biomesh/biomesh/nist"
)

func newImportCmd(o *clientOpts) *cobra.Command {
	var profile, category, custody, personID string
	var dryRun bool
	c := &cobra.Command{
		Use:   "import FILE [--profile ebts|int-i|base] [--category C] [--person P-…] [--dry-run]",
		Short: "Enrol a person from an ANSI/NIST-ITL transaction (a ten-print card, a face or iris record)",
		Long: `Sends an ANSI/NIST-ITL transaction (traditional encoding) to the node, which enrols its
person as "biomesh enroll" would: the person's data from Type-2 read through --profile,
finger images (Types 3–6 and 14), faces (Type-10), irises (Type-17) and INCITS 378
minutiae (Type-9) for fingers without an image; de-duplication search first. What the
file holds that is not part of a person's record (latents, palms, slaps, tattoos) is
listed as warnings. --dry-run reads the file here and shows what would be enrolled,
without a node. Roles: enroller, admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if dryRun {
				return showImport(cmd, args[0], data, profile)
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"profile": profile, "category": category, "custody": custody, "person_id": personID} {
				if v != "" {
					q.Set(k, v)
				}
			}
			path := "/v1/transactions"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			req, err := cl.request(cmd.Context(), "POST", path, nil)
			if err != nil {
				return err
			}
			req.Body = io.NopCloser(bytes.NewReader(data))
			req.ContentLength = int64(len(data))
			req.Header.Set("Content-Type", "application/x-ansi-nist")
			res, err := cl.send(req)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				return err
			}
			if cl.json {
				cmd.OutOrStdout().Write(body)
				return nil
			}
			var r enrolResult
			if err := json.Unmarshal(body, &r); err != nil {
				return fmt.Errorf("%s: unexpected answer: %w", args[0], err)
			}
			r.print(cmd, nil)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&profile, "profile", "ebts", "where the file's Type-2 record keeps the person's data: ebts, int-i or base")
	f.StringVar(&category, "category", "", "category of a new person")
	f.StringVar(&custody, "custody", "", "custody notes of a new person")
	f.StringVar(&personID, "person", "", "add the samples to this existing person (P-…) instead of creating one")
	f.BoolVar(&dryRun, "dry-run", false, "read the file and show what would be enrolled; send nothing")
	return c
}

// showImport prints what Import finds in a transaction.
func showImport(cmd *cobra.Command, name string, data []byte, profile string) error {
	tx, err := nist.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p, err := nist.LookupProfile(profile)
	if err != nil {
		return err
	}
	rec, err := interchange.Import(tx, p)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s: TOT %s, ORI %s, TCN %s, date %s\n", name, rec.TOT, rec.ORI, rec.TCN, rec.DAT)
	ps := rec.Person
	fmt.Fprintf(w, "person: name %q, born %q, sex %q, nationality %q\n", ps.Name, ps.DateOfBirth, ps.Sex, ps.Nationality)
	for _, s := range rec.Samples {
		what := s.Format
		switch {
		case len(s.Template) > 0:
			what = "INCITS 378 minutiae"
		case len(s.STR) > 0:
			what = fmt.Sprintf("STR profile, %d loci", len(s.STR))
		}
		ppi := ""
		if s.Resolution > 0 {
			ppi = fmt.Sprintf(", %d ppi", s.Resolution)
		}
		fmt.Fprintf(w, "  %s %d: %s%s (%s)\n", s.Modality, s.Position, what, ppi, s.Source)
	}
	printWarnings(cmd, rec.Warnings)
	return nil
}

func newExportCmd(o *clientOpts) *cobra.Command {
	var profile, dai, out string
	c := &cobra.Command{
		Use:   "export PERSON --dai AGENCY [--profile ebts|int-i] [-o FILE]",
		Short: "Write a person as an ANSI/NIST-ITL transaction for a partner (EBTS or INT-I)",
		Long: `Asks the node for the person's record as an ANSI/NIST-ITL transaction addressed to the
destination agency --dai: Type-2 biographic data, WSQ finger images (Type-14 for ebts,
Type-4 for int-i), faces and irises. The export is audited with its destination. Samples
the node could not write are shown as warnings. Roles: analyst, admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			if out == "" {
				out = args[0] + "-" + profile + ".an2"
			}
			q := url.Values{"profile": {profile}, "dai": {dai}}
			req, err := cl.request(cmd.Context(), "GET", "/v1/persons/"+pathID(args[0])+"/transaction?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			res, err := cl.send(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			data, err := io.ReadAll(res.Body)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o600); err != nil {
				return err
			}
			printWarnings(cmd, res.Header.Values("X-Biomesh-Warning"))
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %d bytes, to %s)\n", out, strings.ToUpper(profile), len(data), dai)
			return nil
		},
	}
	c.Flags().StringVar(&profile, "profile", "ebts", "ebts (Type-14 fingers) or int-i (Type-4)")
	c.Flags().StringVar(&dai, "dai", "", "destination agency identifier (written to 1.007)")
	c.Flags().StringVarP(&out, "output", "o", "", "file to write (default PERSON-PROFILE.an2; mode 0600)")
	c.MarkFlagRequired("dai")
	return c
}
