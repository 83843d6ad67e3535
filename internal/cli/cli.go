// Package cli holds stiggql's commands (serve, keys, migrate, seed, import,
// schema) and the one way they read settings: flags, each with an
// environment variable as fallback (flags.go). Package main only calls
// Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Name is the binary's name, as the README builds it (go build -o stiggql .)
// and as go install names it.
const Name = "stiggql"

const usage = `stiggql: a self-hostable GraphQL server for Stigg's customer API.

Usage:
  stiggql [serve] [flags]                          start the server (default)
  stiggql keys create --environment NAME [flags]   create an environment (if needed) and print a new API key
  stiggql keys list [flags]                        list API keys (never their secrets)
  stiggql migrate [flags]                          apply pending schema migrations and exit
  stiggql import customers FILE [flags]            import customers from a CSV or JSON file, in resumable batches
  stiggql seed --customers N [flags]               fill an empty database with generated customers (demos, benchmarks)
  stiggql schema                                   print the GraphQL schema (SDL)
  stiggql help [COMMAND]                           this text, or a command's flags

Every flag can also be set by the environment variable named in its help.
Run "stiggql COMMAND --help" for the flags of a command.
`

// App is what the commands need from package main.
type App struct {
	// SchemaSDL is the GraphQL schema (schema.graphqls, embedded by main).
	SchemaSDL string
}

// Main runs the command line args (without the program name) and returns
// the process's exit status: 0 on success and for help, 2 for a mistake in
// the command line, 1 for any other error.
func (a App) Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := a.Run(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "error:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
}

// commands maps each command to its function.
func (a App) commands() map[string]func(context.Context, []string, io.Writer, io.Writer) error {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"serve":   a.serve,
		"keys":    keys,
		"migrate": migrate,
		"import":  importCmd,
		"seed":    seedCmd,
		"schema":  a.schema,
	}
}

// Run runs one command; flag.ErrHelp after printing help.
func (a App) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	cmds := a.commands()
	if cmd == "help" {
		if len(args) == 0 {
			_, _ = io.WriteString(stdout, usage)
			return flag.ErrHelp
		}
		if run, ok := cmds[args[0]]; ok {
			return run(ctx, append(args[1:], "--help"), stdout, stderr)
		}
		_, _ = io.WriteString(stderr, usage)
		return usagef("help: unknown command %q", args[0])
	}
	run, ok := cmds[cmd]
	if !ok {
		_, _ = io.WriteString(stderr, usage)
		return usagef("unknown command %q", cmd)
	}
	return run(ctx, args, stdout, stderr)
}

func (a App) schema(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlagSet("schema", "Usage:\n  stiggql schema\n\nPrints the GraphQL schema (SDL) this server serves, also at /schema.graphql.\n")
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	_, err := io.WriteString(stdout, a.SchemaSDL)
	return err
}
