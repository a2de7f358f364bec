package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/store"
)

func newEnrollCmd(o *clientOpts) *cobra.Command {
	var (
		p        struct{ name, dob, sex, nationality, category, custody string }
		aliases  []string
		personID string
		face     string
		dnaFile  string
		dpi      int
	)
	c := &cobra.Command{
		Use:   "enroll --name N [--alias A]... [--dob D] [--sex S] [--nationality C] [--category C] [--custody TEXT] [--person ID] [--face PATH] FINGER...",
		Short: "Enrol a person (or add samples to one) on a node",
		Long: `Enrols a person with fingerprints (and optionally a face photo). The node first searches
the fingers for duplicates: a hit on a person of your organisation whose biographic data
agree adds the samples to that person; a hit on another record raises an identity conflict
(see "biomesh conflicts"). With --person the samples are added to that existing person.
Each FINGER is POS=PATH (POS 1–10: 1 right thumb … 10 left little; 0 or unknown) or PATH
(position unknown): an image (PNG, JPEG, TIFF, BMP, PGM; --dpi) or a template (.iso, .ansi,
.bmt). Roles: enroller, admin.`,
		Example: `  biomesh enroll --name "Ahmad Karim" --dob 1980 --category detainee 2=r-index.png 7=l-index.png`,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bio := map[string]any{}
			for flag, v := range map[string]string{"name": p.name, "dob": p.dob, "sex": p.sex, "nationality": p.nationality, "category": p.category, "custody": p.custody} {
				if cmd.Flags().Changed(flag) {
					bio[flag] = v
				}
			}
			if len(aliases) > 0 {
				bio["alias"] = aliases
			}
			if personID != "" && len(bio) > 0 {
				return fmt.Errorf("--person adds samples to an existing person: its biographic data (--name, --alias, --dob, …) cannot be given with it")
			}
			if personID == "" && strings.TrimSpace(p.name) == "" {
				return fmt.Errorf("--name is required (or --person ID to add samples to an existing person)")
			}
			if err := checkDPI(dpi); err != nil {
				return err
			}
			files, err := fingerArgs(args)
			if err != nil && !(len(args) == 0 && (face != "" || dnaFile != "")) {
				return err
			}
			if dnaFile != "" {
				f, err := dnaSample(dnaFile)
				if err != nil {
					return err
				}
				files = append(files, f)
			}
			if face != "" {
				f, err := readSample(face, face, "face")
				if err != nil {
					return err
				}
				files = append(files, f)
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			body := map[string]any{"samples": samplesJSON(files, dpi)}
			if personID != "" {
				body["person_id"] = personID
			} else {
				body["person"] = map[string]any{"name": p.name, "aliases": aliases, "date_of_birth": p.dob, "sex": p.sex,
					"nationality": p.nationality, "category": p.category, "custody": p.custody}
			}
			var r enrolResult
			if err := cl.call(cmd.Context(), "POST", "/v1/persons", body, &r); err != nil {
				return sampleNames(err, files)
			}
			if cl.json {
				return nil
			}
			names := make([]string, len(files))
			for i, f := range files {
				names[i] = f.path
			}
			r.print(cmd, names)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&p.name, "name", "", "the person's name")
	f.StringArrayVar(&aliases, "alias", nil, "another name (repeatable)")
	f.StringVar(&p.dob, "dob", "", "date of birth: YYYY, YYYY-MM or YYYY-MM-DD")
	f.StringVar(&p.sex, "sex", "", "M, F, X or U")
	f.StringVar(&p.nationality, "nationality", "", "ISO 3166-1 alpha-3 code, e.g. IRQ")
	f.StringVar(&p.category, "category", "", "category: "+strings.Join(store.Categories, ", "))
	f.StringVar(&p.custody, "custody", "", "custody notes")
	f.StringVar(&personID, "person", "", "add the samples to this existing person (P-…) instead of creating one")
	f.StringVar(&dnaFile, "dna", "", "a DNA STR profile (JSON: {\"loci\": {\"D3S1358\": [\"15\", \"16\"], ...}}), searched and used for kinship")
	f.StringVar(&face, "face", "", "a face photo to store with the record (not searchable on this node)")
	addDPIFlag(c, &dpi)
	return c
}

func newPersonCmd(o *clientOpts) *cobra.Command {
	c := &cobra.Command{Use: "person", Short: "Read, search and delete person records on a node"}
	c.AddCommand(newPersonShowCmd(o), newPersonTimelineCmd(o), newPersonSearchCmd(o), newPersonDeleteCmd(o))
	return c
}

func newPersonShowCmd(o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "A person's record: biographic data, watch, samples, family links, conflicts",
		Long:  "Prints a person's record. The read is audited. Roles: analyst, admin (of the owning organisation).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				Person    *store.Person      `json:"person"`
				Samples   []store.Sample     `json:"samples"`
				Family    []store.FamilyLink `json:"family"`
				Conflicts []store.Conflict   `json:"conflicts"`
			}
			if err := cl.call(cmd.Context(), "GET", "/v1/persons/"+pathID(args[0]), nil, &r); err != nil {
				return err
			}
			if cl.json {
				return nil
			}
			w := cmd.OutOrStdout()
			printPerson(w, r.Person)
			if len(r.Samples) > 0 {
				fmt.Fprintf(w, "samples (%d):\n", len(r.Samples))
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "  ID\tMODALITY\tPOS\tQUALITY\tIMAGE\tDEVICE\tCAPTURED")
				for _, s := range r.Samples {
					fmt.Fprintf(tw, "  %d\t%s\t%d\t%d\t%s\t%s\t%s\n", s.ID, s.Modality, s.Position, s.Quality, orDash(s.ImageFormat), orDash(s.Device), when(s.Captured))
				}
				tw.Flush()
			}
			if len(r.Family) > 0 {
				fmt.Fprintln(w, "family:")
				for _, l := range r.Family {
					other, rel := l.RelativeID, l.Relation
					if l.RelativeID == r.Person.ID { // the link was recorded from the other side
						other, rel = l.PersonID, "("+l.Relation+" of)"
					}
					fmt.Fprintf(w, "  %s %s (%s)%s\n", rel, other, l.Status, noteSuffix(l.Note))
				}
			}
			if len(r.Conflicts) > 0 {
				fmt.Fprintln(w, "identity conflicts:")
				printConflicts(w, r.Conflicts)
			}
			return nil
		},
	}
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// printPerson writes a person's biographic record as aligned lines.
func printPerson(w io.Writer, p *store.Person) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "%s  %s\n", p.ID, orDash(p.Name))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s:\t%s\n", k, v)
		}
	}
	line("aliases", strings.Join(p.Aliases, ", "))
	line("date of birth", p.DateOfBirth)
	line("sex", p.Sex)
	line("nationality", p.Nationality)
	line("category", p.Category)
	line("custody", p.Custody)
	watch := string(p.Watch.Level)
	if p.Watch.Reason != "" {
		watch += " — " + p.Watch.Reason
	}
	if !p.Watch.SetAt.IsZero() {
		watch += fmt.Sprintf(" (set by %s, %s)", p.Watch.SetBy, when(p.Watch.SetAt))
	}
	line("watch", watch)
	line("organisation", p.Org)
	line("enrolled", when(p.Created))
	if when(p.Updated) != when(p.Created) {
		line("updated", when(p.Updated))
	}
	tw.Flush()
}

func newPersonTimelineCmd(o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "timeline ID",
		Short: "What is known of a person over time: enrolment, samples, encounters, watch",
		Long:  "Prints a person's timeline, oldest first. Roles: analyst, admin (of the owning organisation).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				PersonID string `json:"person_id"`
				Events   []struct {
					Time      time.Time        `json:"time"`
					Kind      string           `json:"kind"`
					Encounter *store.Encounter `json:"encounter"`
					Detail    string           `json:"detail"`
				} `json:"events"`
			}
			if err := cl.call(cmd.Context(), "GET", "/v1/persons/"+pathID(args[0])+"/timeline", nil, &r); err != nil {
				return err
			}
			if cl.json {
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "timeline of %s (%d events)\n", r.PersonID, len(r.Events))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, e := range r.Events {
				detail := e.Detail
				if e.Encounter != nil {
					detail = encounterSummary(e.Encounter)
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", when(e.Time), e.Kind, detail)
			}
			tw.Flush()
			return nil
		},
	}
}

func encounterSummary(e *store.Encounter) string {
	where := e.Place
	if e.Lat != nil && e.Lon != nil {
		where = strings.TrimSpace(fmt.Sprintf("%s (%.4f, %.4f)", where, *e.Lat, *e.Lon))
	}
	var parts []string
	if where != "" {
		parts = append(parts, "at "+where)
	}
	by := e.User
	if e.Unit != "" {
		by = e.Unit + " (" + e.User + ")"
	}
	parts = append(parts, "by "+by)
	if e.Hit {
		parts = append(parts, fmt.Sprintf("score %.1f", e.Score), "watch "+orDash(string(e.Watch)))
	}
	if e.Outcome != "" {
		parts = append(parts, "outcome "+e.Outcome)
	}
	return e.ID + " " + strings.Join(parts, ", ")
}

func newPersonSearchCmd(o *clientOpts) *cobra.Command {
	var (
		name, dob, nationality, category string
		limit                            int
	)
	c := &cobra.Command{
		Use:   "search [--name N] [--dob D] [--nationality C] [--category C]",
		Short: "Biographic search among your organisation's records",
		Long: `Searches names and aliases (case-insensitive substring), date of birth, nationality and
category; give at least one. Newest first. Roles: analyst, admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" && dob == "" && nationality == "" && category == "" {
				return fmt.Errorf("give at least one of --name, --dob, --nationality, --category")
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"name": name, "date_of_birth": dob, "nationality": nationality, "category": category} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", fmt.Sprint(limit))
			}
			var r struct {
				Persons []store.Person `json:"persons"`
			}
			if err := cl.call(cmd.Context(), "GET", "/v1/persons?"+q.Encode(), nil, &r); err != nil {
				return err
			}
			if cl.json {
				return nil
			}
			w := cmd.OutOrStdout()
			if len(r.Persons) == 0 {
				fmt.Fprintln(w, "no person found")
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tBORN\tSEX\tNAT\tCATEGORY\tWATCH\tENROLLED")
			for _, p := range r.Persons {
				name := orDash(p.Name)
				if len(p.Aliases) > 0 {
					name += " (" + strings.Join(p.Aliases, ", ") + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, name, orDash(p.DateOfBirth), orDash(p.Sex), orDash(p.Nationality),
					orDash(p.Category), orDash(string(p.Watch.Level)), when(p.Created))
			}
			tw.Flush()
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&name, "name", "", "part of a name or alias")
	f.StringVar(&dob, "dob", "", "date of birth (YYYY, YYYY-MM or YYYY-MM-DD)")
	f.StringVar(&nationality, "nationality", "", "ISO 3166-1 alpha-3 code")
	f.StringVar(&category, "category", "", "category")
	f.IntVar(&limit, "limit", 0, "at most this many results, 1–1000 (default: the node's, 100)")
	return c
}

func newPersonDeleteCmd(o *clientOpts) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "delete ID --reason R",
		Short: "Erase a person (biographic data, samples, family links), keeping a tombstone",
		Long: `Erases a person's record; later reads answer that it was deleted, with the reason. A person
on a watch level other than none, or with an open identity conflict, cannot be deleted
(retention rule): lift the watch or resolve the conflict first. Roles: admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return fmt.Errorf("--reason is required: a deletion is recorded with its reason")
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				Deleted string `json:"deleted"`
			}
			if err := cl.call(cmd.Context(), "DELETE", "/v1/persons/"+pathID(args[0]), map[string]string{"reason": reason}, &r); err != nil {
				return err
			}
			if !cl.json {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", r.Deleted)
			}
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why the person is erased (recorded)")
	return c
}

func newWatchCmd(o *clientOpts) *cobra.Command {
	c := &cobra.Command{Use: "watch", Short: "Watch lists: how sightings of a person are handled"}
	var level, reason string
	set := &cobra.Command{
		Use:   "set ID --level none|monitor|alert|detain --reason R",
		Short: "Set a person's watch level",
		Long: `Sets a person's watch level: none; monitor (log and inform the owner); alert (every
encounter is pushed to "biomesh alerts"); detain (alert and detain). A reason is required for
every level but none. Roles: analyst, admin (of the owning organisation).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if store.WatchLevel(level).Severity() < 0 || level == "" {
				return fmt.Errorf("--level %q: one of none, monitor, alert, detain", level)
			}
			if level != string(store.WatchNone) && strings.TrimSpace(reason) == "" {
				return fmt.Errorf("--reason is required for watch level %s", level)
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			var r struct {
				PersonID string      `json:"person_id"`
				Watch    store.Watch `json:"watch"`
			}
			if err := cl.call(cmd.Context(), "PUT", "/v1/persons/"+pathID(args[0])+"/watch", map[string]string{"level": level, "reason": reason}, &r); err != nil {
				return err
			}
			if !cl.json {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: watch %s%s (set by %s)\n", r.PersonID, r.Watch.Level, noteSuffix(r.Watch.Reason), r.Watch.SetBy)
			}
			return nil
		},
	}
	set.Flags().StringVar(&level, "level", "", "none, monitor, alert or detain")
	set.Flags().StringVar(&reason, "reason", "", "why (required but for none)")
	c.AddCommand(set)
	return c
}

// enrolResult is the node's answer to an enrolment (POST /v1/persons or /v1/transactions).
type enrolResult struct {
	PersonID  string `json:"person_id"`
	Created   bool   `json:"created"`
	Duplicate bool   `json:"duplicate"`
	Samples   []struct {
		ID       int64  `json:"id"`
		Modality string `json:"modality"`
		Position int    `json:"position"`
		Quality  int    `json:"quality"`
		Minutiae int    `json:"minutiae"`
	} `json:"samples"`
	Matches   []candidateJSON  `json:"matches"`
	Conflicts []store.Conflict `json:"conflicts"`
	Threshold float64          `json:"threshold"`
	Warnings  []string         `json:"warnings"`
}

// print writes the summary of an enrolment; sources name the samples in request order.
func (r *enrolResult) print(cmd *cobra.Command, sources []string) {
	w := cmd.OutOrStdout()
	switch {
	case r.Created:
		fmt.Fprintf(w, "enrolled %s (new person)\n", r.PersonID)
	case r.Duplicate:
		fmt.Fprintf(w, "already enrolled as %s: the samples matched this person, whose biographic data agree, and were added to the record\n", r.PersonID)
	default:
		fmt.Fprintf(w, "samples added to %s\n", r.PersonID)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SAMPLE\tMODALITY\tPOS\tQUALITY\tMINUTIAE\tSOURCE")
	for i, s := range r.Samples {
		src := ""
		if i < len(sources) {
			src = sources[i]
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%d\t%d\t%s\n", s.ID, s.Modality, s.Position, s.Quality, s.Minutiae, src)
	}
	tw.Flush()
	if len(r.Matches) > 0 {
		fmt.Fprintf(w, "matches (threshold %.1f):\n", r.Threshold)
		printCandidates(w, r.Matches, r.Threshold)
	}
	for _, cf := range r.Conflicts {
		fmt.Fprintf(w, "identity conflict %s: %s ~ %s, score %.1f: %s\n", cf.ID, cf.PersonID, cf.OtherID, cf.Score, cf.Reason)
	}
	printWarnings(cmd, r.Warnings)
}
