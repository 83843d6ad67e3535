package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/99designs/gqlgen/plugin"
	"github.com/vektah/gqlparser/v2/ast"
)

// The executor's templates that differ from gqlgen's: three of gqlgen's
// files with one line changed each, and server.gotpl added with the helpers
// they call (each says what and why at its top).
//
//go:embed templates/*.gotpl
var ownTemplates embed.FS

// forks are gqlgen's templates that templates/ replaces, with the SHA-256 of
// the upstream file each was derived from (gqlgen v0.17.90), and the one
// line each changes. A gqlgen with another file stops generation until the
// fork is refreshed.
var forks = []struct{ name, upstreamSHA256, upstreamLine, forkedLine string }{
	{
		"type.gotpl", "971a9fb1b0335552cbcc6f7b5ebca9f4ae47269983f07dbaf9cd02675aa54d18",
		`ret := graphql.MarshalSliceConcurrently(ctx,`,
		`ret := {{ if inOrderList $type }}marshalSliceInOrder{{ else }}graphql.MarshalSliceConcurrently{{ end }}(ctx,`,
	},
	{
		"field.gotpl", "475935f26894671a49aafd3647b9469681eccfd644c11c2023be166ef8655168",
		`errors.New("field of type {{ $field.TypeReference.Definition.Name }} does not have child fields"))`,
		`noChildFields({{ quote $field.TypeReference.Definition.Name }}))`,
	},
	{
		"generated!.gotpl", "b1c6276eb7d5a3123bfc62a9c930506d9dec75303a7b27a0a13e44f1df062a3d",
		`inputUnmarshalMap := graphql.BuildUnmarshalerMap(`,
		`inputUnmarshalMap := unusedUnmarshalerMap(`,
	},
}

// added is the template gqlgenx adds to gqlgen's.
const added = "server.gotpl"

// OwnTemplates is a gqlgen plugin that keeps the data gqlgen generated the
// executor from, so that Render can render the executor again with this
// server's templates once api.Generate is done.
//
// Why not in place: api.Generate always renders the executor with gqlgen's
// embedded templates after the plugins ran, and offers no option to change
// them; codegen/templates.Render, which it renders with, takes the templates
// as an option. So gqlgenx lets gqlgen write its plain executor, checks that
// rendering gqlgen's templates itself gives exactly that file, and then
// renders it once more with the forks of templates/ in place of gqlgen's
// files and templates/server.gotpl added. The committed graph/generated.go
// is therefore gqlgen's output except for what those templates do.
type OwnTemplates struct{ data *codegen.Data }

var _ plugin.CodeGenerator = (*OwnTemplates)(nil)

// Name is the plugin's name in gqlgen's plugin list.
func (*OwnTemplates) Name() string { return "owntemplates" }

// GenerateCode keeps the data; NestedInPlace has run before it.
func (p *OwnTemplates) GenerateCode(data *codegen.Data) error {
	p.data = data
	return nil
}

// Render replaces the executor gqlgen wrote with the one of this server's
// templates, after checking that gqlgen's plain output is what rendering its
// templates here gives.
func (p *OwnTemplates) Render() error {
	data := p.data
	if data == nil {
		return errors.New("gqlgen did not call the owntemplates plugin")
	}
	if data.Config.Exec.Layout != config.ExecLayoutSingleFile {
		return fmt.Errorf("exec layout %q: gqlgenx renders the single-file layout only", data.Config.Exec.Layout)
	}
	dir, err := upstreamTemplateDir()
	if err != nil {
		return err
	}
	if err := checkUpstream(dir); err != nil {
		return err
	}
	filename := data.Config.Exec.Filename
	plain, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	fsys, err := executorTemplates(dir)
	if err != nil {
		return err
	}
	// gqlgen's own templates, rendered here, must give gqlgen's file byte
	// for byte.
	if err := render(data, upstreamOnly(fsys, dir), func(*config.TypeReference) bool { return false }); err != nil {
		return err
	}
	again, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, plain) {
		_ = os.WriteFile(filename, plain, 0o644)
		return errors.New("rendering gqlgen's templates in gqlgenx no longer gives gqlgen's own executor: compare Render's options with codegen/generate.go (generateSingleFile) of the gqlgen in go.mod")
	}
	return render(data, fsys, inOrder(data))
}

// render renders the executor as gqlgen's codegen.generateSingleFile does
// (v0.17.90), with the given templates and the function the forked
// type.gotpl calls.
func render(data *codegen.Data, fsys fs.FS, inOrderList func(*config.TypeReference) bool) error {
	return templates.Render(templates.Options{
		PackageName:     data.Config.Exec.Package,
		Filename:        data.Config.Exec.Filename,
		Data:            data,
		RegionTags:      true,
		GeneratedHeader: true,
		Packages:        data.Config.Packages,
		TemplateFS:      fsys,
		PruneOptions:    data.Config.GetPruneOptions(),
		Funcs:           template.FuncMap{"inOrderList": inOrderList},
	})
}

// inOrder reports, for a list type, whether its elements have nothing to
// overlap, so that they are marshalled in order: enum values (a string
// each), and objects that run their fields in place (DisableConcurrency),
// every possible one for an interface or union. A list whose elements could
// be a root object, or whose type gqlgen has no object for, stays
// concurrent.
func inOrder(data *codegen.Data) func(*config.TypeReference) bool {
	return func(t *config.TypeReference) bool {
		def := t.Elem().Definition
		if def == nil {
			return false
		}
		var possible []*ast.Definition
		switch def.Kind {
		case ast.Enum, ast.Scalar:
			return true
		case ast.Object:
			possible = []*ast.Definition{def}
		case ast.Interface, ast.Union:
			possible = data.Config.Schema.GetPossibleTypes(def)
		default:
			return false
		}
		for _, d := range possible {
			o := data.Objects.ByName(d.Name)
			if o == nil || o.Root || !o.DisableConcurrency {
				return false
			}
		}
		return len(possible) > 0
	}
}

// executorTemplates is gqlgen's executor templates (the *.gotpl files of its
// codegen package, which it embeds) with this server's forks in place of
// gqlgen's files and server.gotpl added.
func executorTemplates(upstreamDir string) (fstest.MapFS, error) {
	fsys := fstest.MapFS{}
	names, err := filepath.Glob(filepath.Join(upstreamDir, "*.gotpl"))
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		fsys[filepath.Base(n)] = &fstest.MapFile{Data: b}
	}
	own, err := fs.Glob(ownTemplates, "templates/*.gotpl")
	if err != nil {
		return nil, err
	}
	for _, n := range own {
		b, err := ownTemplates.ReadFile(n)
		if err != nil {
			return nil, err
		}
		fsys[path.Base(n)] = &fstest.MapFile{Data: b}
	}
	return fsys, nil
}

// upstreamOnly is fsys with gqlgen's own files in place of the forks and
// without server.gotpl.
func upstreamOnly(fsys fstest.MapFS, upstreamDir string) fstest.MapFS {
	out := fstest.MapFS{}
	for n, f := range fsys {
		if n == added {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(upstreamDir, n)); err == nil {
			f = &fstest.MapFile{Data: b}
		}
		out[n] = f
	}
	return out
}

// checkUpstream fails when one of gqlgen's templates that templates/ forks
// is not the file the fork was derived from (gqlgen was upgraded), or when
// the fork differs from it by more than its header and its one line.
func checkUpstream(upstreamDir string) error {
	for _, f := range forks {
		upstream, err := os.ReadFile(filepath.Join(upstreamDir, f.name))
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(upstream); hex.EncodeToString(sum[:]) != f.upstreamSHA256 {
			return fmt.Errorf("gqlgen's codegen/%s (in %s) is not the file graph/internal/gqlgenx/templates/%s was derived from: refresh the fork (see its header)", f.name, upstreamDir, f.name)
		}
		fork, err := ownTemplates.ReadFile("templates/" + f.name)
		if err != nil {
			return err
		}
		const headerEnd = "*/ -}}\n"
		i := bytes.Index(fork, []byte(headerEnd))
		if !bytes.HasPrefix(fork, []byte("{{- /*")) || i < 0 {
			return fmt.Errorf("templates/%s does not start with its header comment", f.name)
		}
		body := string(fork[i+len(headerEnd):])
		if strings.Count(body, f.forkedLine) != 1 || strings.Replace(body, f.forkedLine, f.upstreamLine, 1) != string(upstream) {
			return fmt.Errorf("templates/%s differs from gqlgen's %s by more than its documented line", f.name, f.name)
		}
	}
	return nil
}

// upstreamTemplateDir is the directory of gqlgen's codegen package in the
// module cache, for the gqlgen version of go.mod.
func upstreamTemplateDir() (string, error) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/99designs/gqlgen/codegen").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("locating gqlgen's codegen package: %w: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("locating gqlgen's codegen package: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
