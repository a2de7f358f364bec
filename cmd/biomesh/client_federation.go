package main

// biomesh partner query and biomesh followups: a node's federation through its API.

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/federation"
)

func newPartnerCmd(o *clientOpts) *cobra.Command {
	c := &cobra.Command{Use: "partner", Short: "Ask partner nodes (hit/no-hit queries)"}
	var purpose string
	var dpi int
	q := &cobra.Command{
		Use:   "query PARTNER --purpose P FINGER...",
		Short: "Hit/no-hit query to a partner with fingerprint templates (never names)",
		Long: `Sends the fingers' templates to a partner node through this node, for a purpose their
sharing agreement names. The answer is hit or no-hit, with the partner's reference number
and watch level on a hit; the partner keeps nothing of the probe. Both nodes audit the
query. Follow up a hit with "biomesh followups request". Roles: enroller, screener,
analyst, admin.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDPI(dpi); err != nil {
				return err
			}
			files, err := fingerArgs(args[1:])
			if err != nil {
				return err
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				Hit   bool   `json:"hit"`
				Ref   string `json:"ref"`
				Watch string `json:"watch"`
			}
			body := map[string]any{"purpose": purpose, "samples": samplesJSON(files, dpi)}
			if err := cl.call(cmd.Context(), "POST", "/v1/partners/"+pathID(args[0])+"/query", body, &r); err != nil {
				return sampleNames(err, files)
			}
			if cl.json {
				return nil
			}
			if r.Hit {
				fmt.Fprintf(cmd.OutOrStdout(), "HIT at %s: %s, watch %s\n", args[0], r.Ref, r.Watch)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "NO HIT at %s\n", args[0])
			}
			return nil
		},
	}
	q.Flags().StringVar(&purpose, "purpose", "", "purpose code of the sharing agreement (required)")
	q.MarkFlagRequired("purpose")
	addDPIFlag(q, &dpi)
	c.AddCommand(q)
	return c
}

func newFollowUpsCmd(o *clientOpts) *cobra.Command {
	c := &cobra.Command{
		Use:   "followups",
		Short: "Follow-up requests for partners' full records: list, request, decide",
		Long: `Lists the follow-up requests this node made of partners (outgoing) and those partners made
of it (incoming), oldest first. Roles: analyst, admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				FollowUps []federation.FollowUp `json:"follow_ups"`
			}
			if err := cl.call(cmd.Context(), "GET", "/v1/followups", nil, &r); err != nil {
				return err
			}
			if cl.json {
				return nil
			}
			if len(r.FollowUps) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no follow-up request")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDIRECTION\tPARTNER\tREF\tPURPOSE\tSTATE\tREQUESTED\tREASON")
			for _, f := range r.FollowUps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Direction, f.Partner, f.Ref, f.Purpose, f.State, when(f.Requested), f.Reason)
			}
			return tw.Flush()
		},
	}
	var purpose, reason, note string
	req := &cobra.Command{
		Use:   "request REF --purpose P --reason TEXT",
		Short: "Ask the owner of a partner's reference for the full record",
		Long: `Asks the partner that owns REF (origin/person ID, from a hit) for the full record. It waits
there for one of its analysts; the answer, with the record when released, then shows in
"biomesh followups". Roles: analyst, admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				FollowUp federation.FollowUp `json:"follow_up"`
			}
			if err := cl.call(cmd.Context(), "POST", "/v1/followups", map[string]string{"ref": args[0], "purpose": purpose, "reason": reason}, &r); err != nil {
				return err
			}
			if !cl.json {
				fmt.Fprintf(cmd.OutOrStdout(), "follow-up %s for %s: %s\n", r.FollowUp.ID, r.FollowUp.Ref, r.FollowUp.State)
			}
			return nil
		},
	}
	req.Flags().StringVar(&purpose, "purpose", "", "purpose code of the sharing agreement (required)")
	req.Flags().StringVar(&reason, "reason", "", "why the record is needed, shown to the owner's analyst (required)")
	req.MarkFlagRequired("purpose")
	req.MarkFlagRequired("reason")
	var approve, refuse bool
	decide := &cobra.Command{
		Use:   "decide ID --approve|--refuse [--note TEXT]",
		Short: "Release a record to a partner, or refuse (analysts of the owning organisation)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if approve == refuse {
				return fmt.Errorf("give one of --approve and --refuse")
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				FollowUp federation.FollowUp `json:"follow_up"`
			}
			if err := cl.call(cmd.Context(), "POST", "/v1/followups/"+pathID(args[0]), map[string]any{"approve": approve, "note": note}, &r); err != nil {
				return err
			}
			if !cl.json {
				fmt.Fprintf(cmd.OutOrStdout(), "follow-up %s (%s, from %s): %s\n", r.FollowUp.ID, r.FollowUp.Ref, r.FollowUp.Partner, r.FollowUp.State)
			}
			return nil
		},
	}
	decide.Flags().BoolVar(&approve, "approve", false, "release the record")
	decide.Flags().BoolVar(&refuse, "refuse", false, "refuse the request")
	decide.Flags().StringVar(&note, "note", "", "recorded with the decision and sent to the partner")
	c.AddCommand(req, decide)
	return c
}
