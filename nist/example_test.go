package nist_test

import (
	"fmt"

	"github.com/biomesh/biomesh/nist"
)

// Build a transaction, add a Type-2 record (CNT follows), validate it against EBTS and
// read the person back.
func ExampleTransaction_AddRecord() {
	t1, _ := nist.NewRecord(1)
	for num, v := range map[int]string{2: "0500", 3: "1\x1f0", 4: "CAR", 5: "20240131", 7: "DAI000001",
		8: "ORI000001", 9: "TCN-1", 11: "19.69", 12: "19.69"} {
		t1.SetString(num, v)
	}
	tr := &nist.Transaction{Records: []*nist.Record{t1}}
	t2, _ := nist.NewRecord(2)
	t2.SetString(2, "00")
	t2.SetString(18, "DOE,JOHN")
	t2.SetString(22, "19800229")
	tr.AddRecord(t2)

	b, _ := tr.Encode()
	back, err := nist.Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := back.Contents()
	fmt.Println(len(b), "bytes; CNT lists", entries)
	for _, v := range back.Validate(nist.Profiles["ebts"]) {
		fmt.Println(v)
	}
	p, _ := back.Person(nist.Profiles["ebts"])
	fmt.Println(p.Surname, p.GivenName, p.DOB)
	// Output:
	// 177 bytes; CNT lists [{2 00}]
	// record 1 (Type-2), field 2.024: mandatory field missing
	// record 1 (Type-2), field 2.025: mandatory field missing
	// DOE JOHN 19800229
}
