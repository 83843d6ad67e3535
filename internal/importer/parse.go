package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
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
