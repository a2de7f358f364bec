package main

import (
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/store"
)

func newConflictsCmd(o *clientOpts) *cobra.Command {
	var status, person string
	c := &cobra.Command{
		Use:   "conflicts [--status open|same-person|different-persons] [--person ID]",
		Short: "Identity conflicts: the same biometrics under two person records",
		Long: `Lists the identity conflicts that touch a record of your organisation, newest first. An
enrolment whose fingers match another record raises one; decide it with
"biomesh conflicts resolve". Roles: analyst, admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch status {
			case "", store.ConflictOpen, store.ConflictSame, store.ConflictDifferent:
			default:
				return fmt.Errorf("--status %q: open, same-person or different-persons", status)
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			q := url.Values{}
			if status != "" {
				q.Set("status", status)
			}
			if person != "" {
				q.Set("person_id", person)
			}
			path := "/v1/conflicts"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var r struct {
				Conflicts []store.Conflict `json:"conflicts"`
			}
			if err := cl.call(cmd.Context(), "GET", path, nil, &r); err != nil {
				return err
			}
			if cl.json {
				return nil
			}
			if len(r.Conflicts) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no identity conflict")
				return nil
			}
			printConflicts(cmd.OutOrStdout(), r.Conflicts)
			return nil
		},
	}
	c.Flags().StringVar(&status, "status", "", "only conflicts with this status: open, same-person or different-persons")
	c.Flags().StringVar(&person, "person", "", "only conflicts involving this person")

	var as, note, keep string
	var noMerge bool
	resolve := &cobra.Command{
		Use:   "resolve ID --as same-person|different-persons [--note TEXT] [--keep PERSON] [--no-merge]",
		Short: "Decide an identity conflict",
		Long: `Records whether the two records of a conflict are one person (false documents, or a
re-enrolment under another name) or two different persons. One person in two records of
your organisation is merged into one record: the older one by default, or --keep; its
samples, encounters, links and names join it, and the other ID answers "merged" from then
on. --no-merge records the decision and keeps both records. Roles: analyst, admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if as != store.ConflictSame && as != store.ConflictDifferent {
				return fmt.Errorf("--as %q: same-person or different-persons", as)
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			if as == store.ConflictDifferent && (keep != "" || noMerge) {
				return fmt.Errorf("--keep and --no-merge go with --as %s only", store.ConflictSame)
			}
			var r struct {
				Conflict store.Conflict `json:"conflict"`
				Merge    *store.Merge   `json:"merge"`
			}
			req := map[string]any{"conflict_id": args[0], "resolution": as, "note": note}
			if keep != "" {
				req["keep"] = keep
			}
			if noMerge {
				req["merge"] = false
			}
			if err := cl.call(cmd.Context(), "POST", "/v1/conflicts", req, &r); err != nil {
				return err
			}
			if !cl.json {
				cf := r.Conflict
				fmt.Fprintf(cmd.OutOrStdout(), "conflict %s (%s ~ %s) resolved as %s by %s\n", cf.ID, cf.PersonID, cf.OtherID, cf.Status, cf.ResolvedBy)
				if r.Merge != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "record %s merged into %s\n", r.Merge.Gone, r.Merge.Keep)
				}
			}
			return nil
		},
	}
	resolve.Flags().StringVar(&as, "as", "", "same-person or different-persons")
	resolve.Flags().StringVar(&note, "note", "", "why (recorded with the decision)")
	resolve.Flags().StringVar(&keep, "keep", "", "same-person: the record to keep (default the older)")
	resolve.Flags().BoolVar(&noMerge, "no-merge", false, "same-person: record the decision but keep both records")
	c.AddCommand(resolve)
	return c
}

func printConflicts(w io.Writer, cs []store.Conflict) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tSTATUS\tPERSON\tOTHER\tSCORE\tRAISED\tREASON")
	for _, c := range cs {
		reason := c.Reason
		if c.Status != store.ConflictOpen && c.ResolvedBy != "" {
			reason += " [decided by " + c.ResolvedBy + noteSuffix(c.Note) + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.1f\t%s\t%s\n", c.ID, c.Status, c.PersonID, c.OtherID, c.Score, when(c.Created), reason)
	}
	tw.Flush()
}
