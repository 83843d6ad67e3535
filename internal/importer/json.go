package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/stigg-selfhost/stiggql/internal/customers"
)

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
