package field

import (
	"time"

	"github.com/biomesh/biomesh/store"
)

// Item kinds.
const (
	KindEncounter = "encounter"
	KindEnrolment = "enrolment"
)

// Item is one queued encounter or enrolment, as the node reads it once unsealed (JSON).
type Item struct {
	Kind      string     `json:"kind"`
	Encounter *Encounter `json:"encounter,omitempty"`
	Enrolment *Enrolment `json:"enrolment,omitempty"`
}

// Encounter is a check made offline: where and when, the probe fingers, and what the kit
// answered.
type Encounter struct {
	Time    time.Time `json:"time"`
	Place   string    `json:"place,omitempty"`
	Lat     *float64  `json:"lat,omitempty"`
	Lon     *float64  `json:"lon,omitempty"`
	Unit    string    `json:"unit,omitempty"`
	Purpose string    `json:"purpose,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	Fingers []Finger  `json:"fingers"`
	Offline *Result   `json:"offline,omitempty"`
}

// Enrolment is a person enrolled offline: biographic data as POST /v1/persons takes them
// and the fingers.
type Enrolment struct {
	Time    time.Time `json:"time"`
	Person  PersonIn  `json:"person"`
	Fingers []Finger  `json:"fingers"`
}

// PersonIn is the biographic data of an enrolment (the node's personIn).
type PersonIn struct {
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases,omitempty"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Sex         string   `json:"sex,omitempty"`
	Nationality string   `json:"nationality,omitempty"`
	Category    string   `json:"category,omitempty"`
	Custody     string   `json:"custody,omitempty"`
}

// Result is the kit's offline answer.
type Result struct {
	Hit       bool             `json:"hit"`
	Ref       string           `json:"ref,omitempty"`
	Watch     store.WatchLevel `json:"watch"`
	Action    string           `json:"action"` // green, yellow or red
	Score     float64          `json:"score,omitempty"`
	Threshold float64          `json:"threshold"`
	Persons   int              `json:"persons"` // persons in the package searched
}

// Action is what a unit does on a result: red for a person at watch level alert or detain,
// yellow for any other hit, green for no hit.
func Action(hit bool, w store.WatchLevel) string {
	switch {
	case !hit:
		return "green"
	case w.Severity() >= store.WatchAlert.Severity():
		return "red"
	}
	return "yellow"
}
