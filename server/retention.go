package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/store"
)

// Retention is the node's retention policy: a rule per person category. Categories
// without a rule are kept until deleted by hand.
type Retention map[string]RetentionRule

// RetentionRule says how long records of one category are kept.
type RetentionRule struct {
	// KeepFor is the legal minimum: a record is not deleted, by hand or by expiry, until
	// this long after its enrolment.
	KeepFor Duration `json:"keep_for,omitzero"`
	// ExpireAfter erases a record automatically once this long has passed without
	// activity (enrolment, new samples, an update, a watch change or an encounter), unless
	// it is under watch or in an open identity conflict.
	ExpireAfter Duration `json:"expire_after,omitzero"`
}

// Duration is a time span written with a unit: "36h", "90d" (days) or "10y" (365-day
// years).
type Duration time.Duration

// ParseDuration reads a Duration.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'y') {
		v, err := strconv.ParseFloat(s[:n-1], 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("duration %q: a non-negative number before %q", s, s[n-1:])
		}
		unit := 24 * time.Hour
		if s[n-1] == 'y' {
			unit *= 365
		}
		return Duration(v * float64(unit)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: use hours (36h), days (90d) or years (10y)", s)
	}
	return Duration(d), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: a string such as \"90d\" or \"10y\", not %s", b)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d Duration) String() string {
	t := time.Duration(d)
	switch day := 24 * time.Hour; {
	case t >= 365*day && t%(365*day) == 0:
		return fmt.Sprintf("%dy", t/(365*day))
	case t >= day && t%day == 0:
		return fmt.Sprintf("%dd", t/day)
	}
	return t.String()
}

// LoadRetention reads a policy from a JSON file such as
//
//	{"traveller": {"expire_after": "90d"}, "detainee": {"keep_for": "10y"}}
func LoadRetention(path string) (Retention, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("retention policy: %w", err)
	}
	var r Retention
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("retention policy %s: %v", path, err)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("retention policy %s: %w", path, err)
	}
	return r, nil
}

func (r Retention) check() error {
	for cat, rule := range r {
		if !slices.Contains(store.Categories, cat) {
			return fmt.Errorf("category %q: one of %s", cat, strings.Join(store.Categories, ", "))
		}
		if rule.ExpireAfter > 0 && rule.ExpireAfter < Duration(time.Hour) {
			return fmt.Errorf("category %s: expire_after %s is under an hour", cat, rule.ExpireAfter)
		}
	}
	return nil
}

// held returns why person p may not be deleted yet under the policy, or "".
func (r Retention) held(p *store.Person, now time.Time) string {
	rule, ok := r[p.Category]
	if !ok || rule.KeepFor <= 0 {
		return ""
	}
	until := p.Created.Add(time.Duration(rule.KeepFor))
	if now.Before(until) {
		return fmt.Sprintf("records of category %s are kept for %s after enrolment: person %s until %s", p.Category, rule.KeepFor, p.ID, until.Format(time.DateOnly))
	}
	return ""
}

// expire erases the records whose retention period without activity has passed, and
// returns how many it erased. Each erasure is audited as the node's own act.
func (s *Server) expire(ctx context.Context) (int, error) {
	now := s.cfg.Now().UTC()
	n := 0
	var errs []error
	for _, cat := range sortedKeys(s.cfg.Retention) {
		rule := s.cfg.Retention[cat]
		if rule.ExpireAfter <= 0 {
			continue
		}
		before := now.Add(-time.Duration(rule.ExpireAfter))
		for {
			ps, err := s.st.Inactive(ctx, cat, before, 200)
			if err != nil {
				return n, err
			}
			erased := 0
			for i := range ps {
				p := &ps[i]
				if s.cfg.Retention.held(p, now) != "" {
					continue
				}
				reason := fmt.Sprintf("retention: category %s, no activity for %s (last %s)", cat, rule.ExpireAfter, p.Updated.Format(time.DateOnly))
				a := &audit.Entry{Time: now, User: "system", Org: p.Org, Role: store.RoleAdmin, Purpose: "retention policy",
					Action: "person.expire", Target: p.ID, Result: "ok: " + reason}
				s.enrolMu.Lock()
				err := s.st.DeletePerson(ctx, store.Deletion{PersonID: p.ID, Reason: reason, By: "system", At: now}, a,
					s.shared(federation.Change{Kind: federation.KindDelete, Person: p})...)
				if err == nil {
					s.fingers.g.Remove(p.ID)
					s.dna.removePerson(p.ID)
					s.irises.g.Remove(p.ID)
					s.faces.g.Remove(p.ID)
				}
				s.enrolMu.Unlock()
				if err == nil {
					s.notifyPartners()
				}
				if err != nil {
					// A record that changed meanwhile (a watch set, say) stays.
					if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
						errs = append(errs, err)
					}
					continue
				}
				erased++
			}
			n += erased
			if len(ps) < 200 || erased == 0 {
				break
			}
		}
	}
	return n, errors.Join(errs...)
}

// expireLoop runs expire now and then every interval until ctx ends.
func (s *Server) expireLoop(ctx context.Context, interval time.Duration) {
	for {
		if n, err := s.expire(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("retention sweep", "err", err, "erased", n)
		} else if n > 0 {
			s.cfg.Logger.Info("retention sweep", "erased", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
