// Command schemagen joins the per-domain SDL files (graph/schema/*.graphqls),
// which gqlgen reads, into the one schema.graphqls that users read and the
// server serves (`go run . schema`, GET /schema.graphql).
//
// The parts extend the root types (`extend type Query { ... }`); the joined
// file merges every extension into its base type, so a reader sees one Query,
// one Mutation and one Subscription, first, followed by each part's other
// definitions in file order. Join checks that the joined text defines exactly
// the schema the parts define.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// Part is one SDL source file.
type Part struct {
	Name string // as shown in the joined file's section comments
	Text string
}

// ReadParts reads every *.graphqls file of dir, sorted by name, naming each
// shownDir/<file name>.
func ReadParts(dir, shownDir string) ([]Part, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.graphqls"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("schemagen: no *.graphqls files in %s", dir)
	}
	sort.Strings(paths)
	parts := make([]Part, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Name: path.Join(shownDir, filepath.Base(p)), Text: string(b)})
	}
	return parts, nil
}

// block is one top-level element of a part: a definition or extension with
// its description, or a run of comment lines.
type block struct {
	lines   []string
	comment bool   // only '#' lines
	extend  bool   // an `extend type` block
	kind    string // type, input, enum, ... ("" for comments)
	name    string
}

var (
	defLine = regexp.MustCompile(`^(extend\s+)?(type|input|enum|scalar|union|interface|directive|schema)\b\s*@?(\w*)`)
	// simpleExt is the only extension form Join merges.
	simpleExt = regexp.MustCompile(`^extend type (\w+) \{$`)
)

// splitBlocks cuts a part into top-level blocks at blank lines outside
// braces and block strings.
func splitBlocks(p Part) ([]*block, error) {
	var (
		blocks   []*block
		cur      []string
		depth    int
		inString bool // inside a multi-line """ string
	)
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		b := &block{lines: cur}
		cur = nil
		b.comment = true
		for _, l := range b.lines {
			if !strings.HasPrefix(l, "#") {
				b.comment = false
				break
			}
		}
		if b.comment {
			blocks = append(blocks, b)
			return nil
		}
		for _, l := range b.lines {
			if m := defLine.FindStringSubmatch(l); m != nil {
				b.extend, b.kind, b.name = m[1] != "", m[2], m[3]
				break
			}
		}
		if b.kind == "" {
			return fmt.Errorf("schemagen: %s: cannot tell what this defines:\n%s", p.Name, strings.Join(b.lines, "\n"))
		}
		blocks = append(blocks, b)
		return nil
	}
	for i, line := range strings.Split(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" && depth == 0 && !inString {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		cur = append(cur, line)
		var d int
		d, inString = scanLine(line, inString)
		depth += d
		if depth < 0 {
			return nil, fmt.Errorf("schemagen: %s:%d: unbalanced }", p.Name, i+1)
		}
	}
	if depth != 0 || inString {
		return nil, fmt.Errorf("schemagen: %s: unterminated definition at end of file", p.Name)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return blocks, nil
}

// scanLine returns the change in brace depth over line, outside strings and
// comments, and whether the line ends inside a block string ("""), given
// whether it starts inside one.
func scanLine(line string, inBlock bool) (depth int, _ bool) {
	for i := 0; i < len(line); i++ {
		switch {
		case inBlock:
			if strings.HasPrefix(line[i:], `\"""`) {
				i += 3
			} else if strings.HasPrefix(line[i:], `"""`) {
				inBlock = false
				i += 2
			}
		case strings.HasPrefix(line[i:], `"""`):
			inBlock = true
			i += 2
		case line[i] == '"':
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' {
					i++
				}
			}
		case line[i] == '#':
			return depth, false
		case line[i] == '{':
			depth++
		case line[i] == '}':
			depth--
		}
	}
	return depth, inBlock
}

// rootNames are the root types, written first in this order.
var rootNames = []string{"Query", "Mutation", "Subscription"}

// Join returns the joined SDL of parts under header (comment lines without
// the leading "# ").
func Join(header []string, parts []Part) ([]byte, error) {
	type section struct {
		name   string
		blocks []*block
	}
	var sections []section
	bases := map[string]*block{}
	var exts []*block
	for _, p := range parts {
		bs, err := splitBlocks(p)
		if err != nil {
			return nil, err
		}
		s := section{name: p.Name}
		for _, b := range bs {
			switch {
			case b.extend:
				if b.kind != "type" || extBody(b) == nil {
					return nil, fmt.Errorf("schemagen: %s: only `extend type X {` ... `}` blocks without description can be joined:\n%s", p.Name, strings.Join(b.lines, "\n"))
				}
				exts = append(exts, b)
				continue
			case b.kind == "type":
				if _, dup := bases[b.name]; dup {
					return nil, fmt.Errorf("schemagen: %s: type %s defined twice", p.Name, b.name)
				}
				bases[b.name] = b
			}
			s.blocks = append(s.blocks, b)
		}
		sections = append(sections, s)
	}
	for _, e := range exts {
		base, ok := bases[e.name]
		if !ok {
			return nil, fmt.Errorf("schemagen: extend type %s: no `type %s` in the parts", e.name, e.name)
		}
		if err := mergeInto(base, extBody(e)); err != nil {
			return nil, err
		}
	}

	var out bytes.Buffer
	for _, h := range header {
		out.WriteString(strings.TrimRight("# "+h, " ") + "\n")
	}
	written := map[*block]bool{}
	for _, r := range rootNames {
		if b, ok := bases[r]; ok {
			out.WriteString("\n" + strings.Join(b.lines, "\n") + "\n")
			written[b] = true
		}
	}
	for _, s := range sections {
		var defs, comments []*block
		for _, b := range s.blocks {
			switch {
			case written[b]:
			case b.comment:
				comments = append(comments, b)
			default:
				defs = append(defs, b)
			}
		}
		if len(defs) == 0 {
			continue
		}
		out.WriteString("\n# " + s.name + "\n")
		for _, b := range comments {
			out.WriteString(strings.Join(b.lines, "\n") + "\n")
		}
		for _, b := range defs {
			out.WriteString("\n" + strings.Join(b.lines, "\n") + "\n")
		}
	}
	if err := sameSchema(parts, out.String()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// extBody returns the field lines of a simple extension block.
func extBody(b *block) []string {
	last := len(b.lines) - 1
	if strings.TrimSpace(b.lines[last]) != "}" {
		return nil
	}
	for i, l := range b.lines {
		if simpleExt.MatchString(l) {
			if i != 0 {
				return nil // a description: not a simple extension
			}
			return b.lines[1:last]
		}
	}
	return nil
}

// mergeInto adds fields to base, a `type X` or `type X { ... }` block.
func mergeInto(base *block, fields []string) error {
	last := len(base.lines) - 1
	head := regexp.MustCompile(`^type ` + base.name + `(\s*\{)?\s*$`)
	for i, l := range base.lines {
		m := head.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if m[1] == "" && i == last {
			base.lines = append(append(append(base.lines[:i:i], "type "+base.name+" {"), fields...), "}")
			return nil
		}
		if strings.TrimSpace(base.lines[last]) == "}" {
			rest := append([]string{}, base.lines[last:]...)
			base.lines = append(append(base.lines[:last:last], fields...), rest...)
			return nil
		}
	}
	return fmt.Errorf("schemagen: type %s: cannot add the fields of its extensions (write it as `type %s` or `type %s {` ... `}`)", base.name, base.name, base.name)
}

// sameSchema fails unless joined defines exactly the schema of parts.
func sameSchema(parts []Part, joined string) error {
	srcs := make([]*ast.Source, len(parts))
	for i, p := range parts {
		srcs[i] = &ast.Source{Name: p.Name, Input: p.Text}
	}
	want, err := gqlparser.LoadSchema(srcs...)
	if err != nil {
		return fmt.Errorf("schemagen: the parts do not form a valid schema: %w", err)
	}
	got, err := gqlparser.LoadSchema(&ast.Source{Name: "joined", Input: joined})
	if err != nil {
		return fmt.Errorf("schemagen: the joined schema is not valid: %w", err)
	}
	if format(got) != format(want) {
		return fmt.Errorf("schemagen: the joined schema differs from its parts (a bug in the joiner)")
	}
	return nil
}

func format(s *ast.Schema) string {
	var b strings.Builder
	formatter.NewFormatter(&b).FormatSchema(s)
	return b.String()
}
