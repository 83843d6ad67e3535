package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvReader reads customers from CSV: a header row naming the fields,
// then one customer per row.
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
