package nist

import "fmt"

// Type-18 (DNA) field numbers used by DNAProfile, per ANSI/NIST-ITL 1-2011 update 2013.
const (
	FieldDLS = 3  // DNA laboratory setting
	FieldNAL = 5  // number of analyses
	FieldSDI = 6  // sample donor information
	FieldSTY = 10 // sample type
	FieldSCD = 13 // sample collection date
	FieldDPD = 15 // DNA profile data
	FieldSTR = 16 // STR DNA profile: one subfield per locus
)

// DNAProfile is the content of a Type-18 record as written. The dna package interprets
// it; here the loci are the items of each subfield of 18.016 (locus, allele calls, ...)
// exactly as the record has them.
type DNAProfile struct {
	IDC            int
	Laboratory     [][]string // 18.003 DLS
	DonorInfo      [][]string // 18.006 SDI
	SampleType     string     // 18.010 STY
	CollectionDate string     // 18.013 SCD
	ProfileData    [][]string // 18.015 DPD
	STR            [][]string // 18.016, one subfield per locus
}

// DNA returns the DNA profile of a Type-18 record.
func (r *Record) DNA() (*DNAProfile, error) {
	if r.Type != 18 {
		return nil, fmt.Errorf("nist: Type-%d is not a DNA record", r.Type)
	}
	sub := func(num int) [][]string {
		if f := r.Field(num); f != nil {
			return f.Subfields()
		}
		return nil
	}
	return &DNAProfile{
		IDC:            r.IDC(),
		Laboratory:     sub(FieldDLS),
		DonorInfo:      sub(FieldSDI),
		SampleType:     r.Get(FieldSTY),
		CollectionDate: r.Get(FieldSCD),
		ProfileData:    sub(FieldDPD),
		STR:            sub(FieldSTR),
	}, nil
}

// CBEFF is the content of a Type-99 record: the biometric data block and what it is.
type CBEFF struct {
	IDC         int
	HeaderVer   string // 99.100 HDV
	BioType     string // 99.101 BTY
	FormatOwner string // 99.103 BFO
	FormatType  string // 99.104 BFT
	BDB         []byte // 99.999 BDB
}

// CBEFF returns the content of a Type-99 record.
func (r *Record) CBEFF() (*CBEFF, error) {
	if r.Type != 99 {
		return nil, fmt.Errorf("nist: Type-%d is not a CBEFF record", r.Type)
	}
	c := &CBEFF{IDC: r.IDC(), HeaderVer: r.Get(100), BioType: r.Get(101), FormatOwner: r.Get(103), FormatType: r.Get(104)}
	if f := r.Field(999); f != nil {
		c.BDB = f.Value
	}
	return c, nil
}
