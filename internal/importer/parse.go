package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/graph/scalar"
	"github.com/stigg-selfhost/stiggql/internal/customers"
)

// Format is the syntax of an input file.
type Format string

// The input formats.
const (
	FormatCSV  Format = "csv"
	FormatJSON Format = "json"
)

// ParseFormat reads a --format value: csv, json, or auto (or empty), which
// is returned as "" and means DetectFormat.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return "", nil
	case "csv":
		return FormatCSV, nil
	case "json":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("unknown format %q: want csv, json or auto", s)
}

// DetectFormat picks the format from the file name (.csv, .json) or, for
// other names, from the first byte that is not white space: [ or { is JSON.
func DetectFormat(name string, head []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".json":
		return FormatJSON
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && (head[0] == '[' || head[0] == '{') {
		return FormatJSON
	}
	return FormatCSV
}

var utf8BOM = []byte("\xef\xbb\xbf")

// Row is one customer of an input file.
type Row struct {
	// Num is the row's 1-based position among the file's customers (the
	// CSV header is not a row).
	Num int
	// Line is the line of the file the row starts on.
	Line int
	// Input is what the row asks to import.
	Input customers.ImportInput
	// Err, when set, is why the row cannot be imported (a field of the
	// wrong type, an unknown field, a bad date or metadata, ...). Rows with
	// an error are reported as failed; the file goes on.
	Err error
}

// Reader yields the rows of an input file in order. Next returns io.EOF
// after the last row; any other error means the file itself is malformed
// (not a JSON document, a broken CSV quote, an unknown CSV column) and no
// later row can be trusted.
type Reader interface {
	Next() (Row, error)
}

// NewReader returns a Reader of r in format f.
func NewReader(r io.Reader, f Format) (Reader, error) {
	switch f {
	case FormatCSV:
		return newCSVReader(r)
	case FormatJSON:
		return newJSONReader(r), nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// The fields of a row: those of Stigg's ImportCustomerInput (refId is the
// deprecated alias of customerId).
const (
	fieldCustomerID      = "customerId"
	fieldRefID           = "refId"
	fieldName            = "name"
	fieldEmail           = "email"
	fieldBillingID       = "billingId"
	fieldSalesforceID    = "salesforceId"
	fieldPaymentMethodID = "paymentMethodId"
	fieldMetadata        = "additionalMetaData"
	fieldUpdatedAt       = "updatedAt"
)

var knownFields = []string{
	fieldCustomerID, fieldRefID, fieldName, fieldEmail, fieldBillingID,
	fieldSalesforceID, fieldPaymentMethodID, fieldMetadata, fieldUpdatedAt,
}

// rowBuilder turns field values into an ImportInput; both formats feed it.
type rowBuilder struct {
	customerID, refID *string
	in                customers.ImportInput
}

// setString sets a string field; v nil leaves it unset.
func (b *rowBuilder) setString(field string, v *string) error {
	if v == nil {
		return nil
	}
	if err := checkText(*v); err != nil {
		return fmt.Errorf("%s %w", field, err)
	}
	s := *v
	switch field {
	case fieldCustomerID:
		b.customerID = &s
	case fieldRefID:
		b.refID = &s
	case fieldName:
		b.in.Fields.Name = &s
	case fieldEmail:
		b.in.Fields.Email = &s
	case fieldBillingID:
		b.in.Fields.BillingID = &s
	case fieldSalesforceID:
		b.in.Fields.SalesforceID = &s
	case fieldPaymentMethodID:
		b.in.Fields.PaymentMethodID = &s
	case fieldUpdatedAt:
		t, err := scalar.UnmarshalDateTime(s)
		if err != nil {
			return fmt.Errorf("%s: %s", field, message(err))
		}
		b.in.UpdatedAt = &t
	default:
		return fmt.Errorf("unknown field %q", field)
	}
	return nil
}

// setMetadata sets additionalMetaData from a decoded JSON value.
func (b *rowBuilder) setMetadata(v any) error {
	m, err := scalar.UnmarshalJSON(v)
	if err != nil {
		return fmt.Errorf("%s: %s", fieldMetadata, message(err))
	}
	if err := checkJSONText(m); err != nil {
		return fmt.Errorf("%s: %w", fieldMetadata, err)
	}
	b.in.Fields.Metadata = m
	return nil
}

// failed returns err with the input as far as it was read, its customerId
// set when one was given, for the report.
func (b *rowBuilder) failed(err error) (customers.ImportInput, error) {
	switch {
	case b.customerID != nil:
		b.in.CustomerID = *b.customerID
	case b.refID != nil:
		b.in.CustomerID = *b.refID
	}
	return b.in, err
}

// input returns the row's import input, with customerId taken from
// customerId or refId as the API does.
func (b *rowBuilder) input() (customers.ImportInput, error) {
	switch {
	case b.customerID != nil && b.refID != nil && *b.customerID != *b.refID:
		return b.failed(errors.New("customerId and refId differ; give one of them"))
	case b.customerID != nil:
		b.in.CustomerID = *b.customerID
	case b.refID != nil:
		b.in.CustomerID = *b.refID
	}
	if b.in.CustomerID == "" {
		return b.in, errors.New("customerId is required")
	}
	return b.in, nil
}

// checkText refuses what neither database stores in a text column: invalid
// UTF-8 (PostgreSQL) and NUL characters (PostgreSQL), so that one such row
// fails alone instead of failing its whole batch.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("contains a NUL character")
	}
	return nil
}

// checkJSONText applies checkText to the keys and strings of a metadata
// value: PostgreSQL's jsonb refuses \u0000 too.
func checkJSONText(v any) error {
	switch v := v.(type) {
	case string:
		if err := checkText(v); err != nil {
			return fmt.Errorf("a string %w", err)
		}
	case map[string]any:
		for k, e := range v {
			if err := checkText(k); err != nil {
				return fmt.Errorf("a key %w", err)
			}
			if err := checkJSONText(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range v {
			if err := checkJSONText(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// message is the text of an error without gqlparser's "input: " prefix.
func message(err error) string {
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		return ge.Message
	}
	return err.Error()
}

// ---- CSV ----

type csvReader struct {
	r       *csv.Reader
	columns []string // canonical field name of each column
	num     int
}

func newCSVReader(r io.Reader) (*csvReader, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3) // Excel writes a byte order mark
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the CSV file is empty: it needs a header row naming the columns (" + strings.Join(knownFields, ", ") + ")")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	canon := make(map[string]string, len(knownFields))
	for _, f := range knownFields {
		canon[strings.ToLower(f)] = f
	}
	cols := make([]string, len(header))
	seen := map[string]int{}
	hasID := false
	for i, h := range header {
		f, ok := canon[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			return nil, fmt.Errorf("CSV header: unknown column %q; the columns are %s", h, strings.Join(knownFields, ", "))
		}
		if j, dup := seen[f]; dup {
			return nil, fmt.Errorf("CSV header: column %s appears twice (columns %d and %d)", f, j+1, i+1)
		}
		seen[f] = i
		cols[i] = f
		hasID = hasID || f == fieldCustomerID || f == fieldRefID
	}
	if !hasID {
		return nil, errors.New("CSV header: a customerId column is required")
	}
	cr.FieldsPerRecord = len(header)
	return &csvReader{r: cr, columns: cols}, nil
}

func (c *csvReader) Next() (Row, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return Row{}, io.EOF
	}
	var row Row
	if err != nil {
		if !errors.Is(err, csv.ErrFieldCount) {
			return Row{}, err // *csv.ParseError says where
		}
		c.num++
		line, _ := c.r.FieldPos(0)
		row = Row{Num: c.num, Line: line}
		var b rowBuilder
		for i, v := range rec {
			if i < len(c.columns) && v != "" && (c.columns[i] == fieldCustomerID || c.columns[i] == fieldRefID) {
				_ = b.setString(c.columns[i], &v)
			}
		}
		row.Input, row.Err = b.failed(fmt.Errorf("has %d fields, the header has %d", len(rec), len(c.columns)))
		return row, nil
	}
	c.num++
	line, _ := c.r.FieldPos(0)
	row = Row{Num: c.num, Line: line}
	var b rowBuilder
	// The customerId first, so that a row failing on another field is
	// reported with it.
	for i, v := range rec {
		if f := c.columns[i]; v != "" && (f == fieldCustomerID || f == fieldRefID) {
			if err := b.setString(f, &v); err != nil {
				row.Input, row.Err = b.failed(err)
				return row, nil
			}
		}
	}
	for i, v := range rec {
		f := c.columns[i]
		if v == "" || f == fieldCustomerID || f == fieldRefID {
			continue // an empty cell leaves the field unset
		}
		if f == fieldMetadata {
			d := json.NewDecoder(strings.NewReader(v))
			d.UseNumber()
			var m any
			if err := d.Decode(&m); err != nil {
				row.Input, row.Err = b.failed(fmt.Errorf("%s: not JSON: %v", fieldMetadata, err))
				return row, nil
			}
			if _, err := d.Token(); err != io.EOF {
				row.Input, row.Err = b.failed(fmt.Errorf("%s: not JSON: more than one value", fieldMetadata))
				return row, nil
			}
			if err := b.setMetadata(m); err != nil {
				row.Input, row.Err = b.failed(err)
				return row, nil
			}
			continue
		}
		if err := b.setString(f, &v); err != nil {
			row.Input, row.Err = b.failed(err)
			return row, nil
		}
	}
	row.Input, row.Err = b.input()
	return row, nil
}

// ---- JSON ----

// jsonReader streams the customers of a JSON document, either
// {"customers": [...]} or a bare array, one element at a time.
type jsonReader struct {
	lines *lineTracker
	d     *json.Decoder
	state int // 0 before the array, 1 in it, 2 done
	// wrapped is true for {"customers": [...]}: the object must be closed
	// after the array.
	wrapped bool
	num     int
}

func newJSONReader(r io.Reader) *jsonReader {
	lt := &lineTracker{r: r, line: 1}
	d := json.NewDecoder(lt)
	d.UseNumber()
	return &jsonReader{lines: lt, d: d}
}

// syntaxErr says where a malformed document broke.
func (j *jsonReader) syntaxErr(err error) error {
	off := j.d.InputOffset()
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off = max(off, se.Offset)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		err = io.ErrUnexpectedEOF
		off = j.lines.end()
	}
	return fmt.Errorf("JSON: line %d: %w", j.lines.lineAt(off), err)
}

func (j *jsonReader) start() error {
	tok, err := j.d.Token()
	if err == io.EOF {
		return errors.New(`the JSON file is empty: want {"customers": [...]} or an array of customers`)
	}
	if err != nil {
		return j.syntaxErr(err)
	}
	switch tok {
	case json.Delim('['):
		return nil
	case json.Delim('{'):
		j.wrapped = true
	default:
		return fmt.Errorf(`JSON: want {"customers": [...]} or an array of customers, got %v`, tok)
	}
	for {
		tok, err := j.d.Token()
		if err != nil {
			return j.syntaxErr(err)
		}
		if tok == json.Delim('}') {
			return errors.New(`JSON: the top-level object has no "customers" array`)
		}
		key, _ := tok.(string)
		if key != "customers" {
			return fmt.Errorf(`JSON: unknown top-level key %q: want {"customers": [...]} (choose the environment with --environment)`, key)
		}
		tok, err = j.d.Token()
		if err != nil {
			return j.syntaxErr(err)
		}
		if tok != json.Delim('[') {
			return fmt.Errorf(`JSON: "customers" must be an array, got %v`, tok)
		}
		return nil
	}
}

func (j *jsonReader) finish() error {
	if j.wrapped {
		tok, err := j.d.Token()
		if err != nil {
			return j.syntaxErr(err)
		}
		if key, ok := tok.(string); ok {
			return fmt.Errorf(`JSON: unexpected top-level key %q after "customers"`, key)
		}
		if tok != json.Delim('}') {
			return fmt.Errorf("JSON: unexpected %v after the customers", tok)
		}
	}
	if _, err := j.d.Token(); err != io.EOF {
		if err != nil {
			return j.syntaxErr(err)
		}
		return fmt.Errorf("JSON: line %d: unexpected data after the document", j.lines.lineAt(j.d.InputOffset()))
	}
	return nil
}

func (j *jsonReader) Next() (Row, error) {
	if j.state == 0 {
		if err := j.start(); err != nil {
			j.state = 2
			return Row{}, err
		}
		j.state = 1
	}
	if j.state == 2 {
		return Row{}, io.EOF
	}
	if !j.d.More() {
		j.state = 2
		if _, err := j.d.Token(); err != nil { // the closing ]
			return Row{}, j.syntaxErr(err)
		}
		if err := j.finish(); err != nil {
			return Row{}, err
		}
		return Row{}, io.EOF
	}
	var raw json.RawMessage
	if err := j.d.Decode(&raw); err != nil {
		j.state = 2
		return Row{}, j.syntaxErr(err)
	}
	j.num++
	row := Row{Num: j.num, Line: j.lines.lineAt(j.d.InputOffset() - int64(len(raw)))}
	row.Input, row.Err = parseJSONRow(raw)
	return row, nil
}

// parseJSONRow reads one element of the customers array.
func parseJSONRow(raw json.RawMessage) (customers.ImportInput, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return customers.ImportInput{}, fmt.Errorf("a customer must be a JSON object, got %s", jsonKind(raw))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	// The customerId first, so that a row failing on another field is
	// reported with it; then in name order, so that the field reported
	// does not vary from run to run.
	rank := func(k string) int {
		if k == fieldCustomerID || k == fieldRefID {
			return 0
		}
		return 1
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var b rowBuilder
	for _, k := range keys {
		v := obj[k]
		if k == fieldMetadata {
			d := json.NewDecoder(bytes.NewReader(v))
			d.UseNumber()
			var m any
			if err := d.Decode(&m); err != nil {
				return b.failed(fmt.Errorf("%s: %v", k, err))
			}
			if err := b.setMetadata(m); err != nil {
				return b.failed(err)
			}
			continue
		}
		if !isKnown(k) {
			hint := ""
			if k == "environmentId" {
				hint = " (choose the environment with --environment)"
			}
			return b.failed(fmt.Errorf("unknown field %q%s; the fields are %s", k, hint, strings.Join(knownFields, ", ")))
		}
		var s *string
		if err := json.Unmarshal(v, &s); err != nil {
			return b.failed(fmt.Errorf("%s must be a string, got %s", k, jsonKind(v)))
		}
		if err := b.setString(k, s); err != nil {
			return b.failed(err)
		}
	}
	return b.input()
}

func isKnown(field string) bool {
	for _, f := range knownFields {
		if f == field {
			return true
		}
	}
	return false
}

// jsonKind names the type of a JSON value for messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// lineTracker passes reads through and turns increasing byte offsets into
// line numbers, keeping only the bytes between the last offset asked about
// and what has been read ahead.
type lineTracker struct {
	r    io.Reader
	buf  []byte // bytes at offsets [base, base+len(buf))
	base int64
	line int // the line at offset base
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// end is the offset of the end of what was read.
func (t *lineTracker) end() int64 { return t.base + int64(len(t.buf)) }

// lineAt returns the 1-based line of offset off; offsets must not decrease.
func (t *lineTracker) lineAt(off int64) int {
	k := int(off - t.base)
	if k <= 0 {
		return t.line
	}
	k = min(k, len(t.buf))
	t.line += bytes.Count(t.buf[:k], []byte{'\n'})
	t.base += int64(k)
	rest := copy(t.buf, t.buf[k:])
	t.buf = t.buf[:rest]
	return t.line
}
