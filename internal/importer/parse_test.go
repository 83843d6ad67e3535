package importer

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// readAll returns the rows of src, or the file-level error.
func readAll(t *testing.T, f Format, src string) ([]Row, error) {
	t.Helper()
	rd, err := NewReader(strings.NewReader(src), f)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestCSVRows(t *testing.T) {
	src := "\xef\xbb\xbfCustomerId, name ,email,billingId,salesforceId,paymentMethodId,additionalMetaData,updatedAt\n" +
		`c1,"Ada, Countess",ada@example.com,cus_1,sf_1,pm_1,"{""plan"": ""gold"", ""seats"": 12345678901234567890}",2024-03-01T10:00:00+01:00` + "\n" +
		"c2,,,,,,,\n" +
		"\n" + // blank lines are skipped
		`c3,"two` + "\n" + `lines",,,,,,2024-03-01` + "\n" +
		"c4,Four,,,,,,\n"
	rows, err := readAll(t, FormatCSV, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for _, r := range rows {
		if r.Err != nil {
			t.Fatalf("row %d: %v", r.Num, r.Err)
		}
	}
	r := rows[0]
	f := r.Input.Fields
	if r.Num != 1 || r.Line != 2 || r.Input.CustomerID != "c1" || deref(f.Name) != "Ada, Countess" || deref(f.Email) != "ada@example.com" ||
		deref(f.BillingID) != "cus_1" || deref(f.SalesforceID) != "sf_1" || deref(f.PaymentMethodID) != "pm_1" {
		t.Fatalf("row 1 = %+v", r)
	}
	if f.Metadata["plan"] != "gold" || f.Metadata["seats"] == nil {
		t.Fatalf("metadata = %v", f.Metadata)
	}
	if n, ok := f.Metadata["seats"].(interface{ String() string }); !ok || n.String() != "12345678901234567890" {
		t.Fatalf("big number lost its digits: %#v", f.Metadata["seats"])
	}
	if want := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC); r.Input.UpdatedAt == nil || !r.Input.UpdatedAt.Equal(want) {
		t.Fatalf("updatedAt = %v, want %v", r.Input.UpdatedAt, want)
	}
	// Empty cells leave fields unset (an import keeps what is stored).
	if f := rows[1].Input.Fields; f.Name != nil || f.Email != nil || f.Metadata != nil || rows[1].Input.UpdatedAt != nil {
		t.Fatalf("row 2 = %+v", rows[1].Input)
	}
	if rows[2].Num != 3 || rows[2].Line != 5 || deref(rows[2].Input.Fields.Name) != "two\nlines" {
		t.Fatalf("row 3 = %+v", rows[2])
	}
	if rows[3].Num != 4 || rows[3].Line != 7 {
		t.Fatalf("row 4 at num %d line %d, want 4 and 7", rows[3].Num, rows[3].Line)
	}
}

func TestCSVBadRows(t *testing.T) {
	src := "customerId,refId,name,additionalMetaData,updatedAt\n" +
		"ok1,,,,\n" +
		"short,\n" +
		"meta1,,,{not json},\n" +
		"meta2,,,[1],\n" +
		"meta3,,,{} {},\n" +
		"date,,,,yesterday\n" +
		"a,b,,,\n" +
		",,No id,,\n" +
		"nul,,a\x00b,,\n" +
		"utf,,\xff\xfe,,\n" +
		",alias,,,\n"
	rows, err := readAll(t, FormatCSV, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, err string }{
		{"ok1", ""},
		{"short", "has 2 fields, the header has 5"},
		{"meta1", "additionalMetaData: not JSON"},
		{"meta2", "JSON value must be an object, got an array"},
		{"meta3", "more than one value"},
		{"date", `DateTime "yesterday" is not an RFC 3339 date-time`},
		{"a", "customerId and refId differ"},
		{"", "customerId is required"},
		{"nul", "name contains a NUL character"},
		{"utf", "name is not valid UTF-8"},
		{"alias", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Input.CustomerID != w.id {
			t.Errorf("row %d: customerId %q, want %q", r.Num, r.Input.CustomerID, w.id)
		}
		switch {
		case w.err == "" && r.Err != nil:
			t.Errorf("row %d: unexpected error %v", r.Num, r.Err)
		case w.err != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), w.err)):
			t.Errorf("row %d: error %v, want one containing %q", r.Num, r.Err, w.err)
		}
	}
}

func TestCSVFileErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"empty":          {"", "empty"},
		"unknown column": {"customerId,nmae\nc1,x\n", `unknown column "nmae"`},
		"twice":          {"customerId,name,NAME\n", "column name appears twice"},
		"no id column":   {"name,email\n", "customerId column is required"},
		"bare quote":     {"customerId,name\nc1,ab\"c\n", "bare \""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(t, FormatCSV, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestJSONRows(t *testing.T) {
	for name, src := range map[string]string{
		"wrapped": `{"customers": [
  {"customerId": "c1", "name": "Ada", "email": "ada@example.com", "billingId": "cus_1",
   "salesforceId": "sf_1", "paymentMethodId": "pm_1", "additionalMetaData": {"plan": "gold"},
   "updatedAt": "2024-03-01T09:00:00.000Z"},
  {"refId": "c2", "name": null},

  {"customerId": "c3"}
]}
`,
		"bare": `[
  {"customerId": "c1", "name": "Ada", "email": "ada@example.com", "billingId": "cus_1",
   "salesforceId": "sf_1", "paymentMethodId": "pm_1", "additionalMetaData": {"plan": "gold"},
   "updatedAt": "2024-03-01T09:00:00.000Z"},
  {"refId": "c2", "name": null},

  {"customerId": "c3"}
]`,
	} {
		t.Run(name, func(t *testing.T) {
			rows, err := readAll(t, FormatJSON, src)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3 {
				t.Fatalf("%d rows, want 3", len(rows))
			}
			for _, r := range rows {
				if r.Err != nil {
					t.Fatalf("row %d: %v", r.Num, r.Err)
				}
			}
			r := rows[0]
			f := r.Input.Fields
			if r.Input.CustomerID != "c1" || deref(f.Name) != "Ada" || deref(f.Email) != "ada@example.com" || deref(f.BillingID) != "cus_1" ||
				deref(f.SalesforceID) != "sf_1" || deref(f.PaymentMethodID) != "pm_1" || f.Metadata["plan"] != "gold" ||
				r.Input.UpdatedAt == nil || !r.Input.UpdatedAt.Equal(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)) {
				t.Fatalf("row 1 = %+v", r.Input)
			}
			if rows[1].Input.CustomerID != "c2" || rows[1].Input.Fields.Name != nil {
				t.Fatalf("row 2 = %+v", rows[1].Input)
			}
			for i, line := range []int{2, 5, 7} {
				if rows[i].Num != i+1 || rows[i].Line != line {
					t.Errorf("row %d: num %d line %d, want line %d", i+1, rows[i].Num, rows[i].Line, line)
				}
			}
		})
	}
}

func TestJSONBadRows(t *testing.T) {
	src := `[
{"customerId": "ok"},
{"customerId": "n", "name": 5},
{"customerId": "u", "emial": "x@example.com"},
{"customerId": "e", "environmentId": "abc"},
"just a string",
{"customerId": "m", "additionalMetaData": "gold"},
{"customerId": "d", "updatedAt": 1700000000},
{"customerId": "z", "name": "a\u0000b"},
{"customerId": 7},
{"customerId": "big", "additionalMetaData": {"x": "` + strings.Repeat("y", 40000) + `"}},
{}
]`
	rows, err := readAll(t, FormatJSON, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, err string }{
		{"ok", ""},
		{"n", "name must be a string, got a number"},
		{"u", `unknown field "emial"`},
		{"e", "choose the environment with --environment"},
		{"", "a customer must be a JSON object, got a string"},
		{"m", "JSON value must be an object, got a string"},
		{"d", "updatedAt must be a string, got a number"},
		{"z", "name contains a NUL character"},
		{"", "customerId must be a string, got a number"},
		{"big", "the limit is 32768"},
		{"", "customerId is required"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Num != i+1 || r.Line != i+2 {
			t.Errorf("row %d: num %d line %d", i+1, r.Num, r.Line)
		}
		if r.Input.CustomerID != w.id {
			t.Errorf("row %d: customerId %q, want %q", r.Num, r.Input.CustomerID, w.id)
		}
		switch {
		case w.err == "" && r.Err != nil:
			t.Errorf("row %d: unexpected error %v", r.Num, r.Err)
		case w.err != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), w.err)):
			t.Errorf("row %d: error %v, want one containing %q", r.Num, r.Err, w.err)
		}
	}
}

func TestJSONFileErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"empty":           {"  \n", "empty"},
		"scalar":          {`"customers"`, "want {\"customers\""},
		"no customers":    {`{}`, `no "customers" array`},
		"other key":       {`{"environmentId": "x", "customers": []}`, `unknown top-level key "environmentId"`},
		"not an array":    {`{"customers": {}}`, `"customers" must be an array`},
		"key after":       {`{"customers": [], "more": 1}`, `unexpected top-level key "more"`},
		"trailing":        {`[] []`, "unexpected data after the document"},
		"truncated":       {"[\n{\"customerId\": \"a\"},\n{\"customerId\": ", "line 3: unexpected EOF"},
		"syntax in a row": {"[\n{\"customerId\": \"a\"},\n{\"customerId\" \"b\"}\n]", "line 3"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(t, FormatJSON, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		want       Format
	}{
		{"a.csv", "[", FormatCSV},
		{"a.JSON", "customerId", FormatJSON},
		{"export.txt", "\xef\xbb\xbf \n [", FormatJSON},
		{"export", `{"customers": []}`, FormatJSON},
		{"export", "customerId,name", FormatCSV},
	} {
		if got := DetectFormat(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("DetectFormat(%q, %q) = %s, want %s", tc.name, tc.head, got, tc.want)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat accepted xml")
	}
	if _, err := NewReader(strings.NewReader(""), "xml"); err == nil || errors.Is(err, io.EOF) {
		t.Error("NewReader accepted xml")
	}
}
