package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/db"
)

// flagSet is the one way every command reads its settings: a flag, or else
// the environment variable named next to it, or else the default. An
// environment value is parsed exactly like the flag (a malformed one is an
// error, never silently replaced by the default), and is read only after
// the command line, so --help never prints a secret from the environment.
type flagSet struct {
	fs    *flag.FlagSet
	env   map[string]string // flag name -> environment variable
	usage string            // the command's text above its flags
}

func newFlagSet(name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors and help itself
	return &flagSet{fs: fs, env: map[string]string{}, usage: usage}
}

// bind records that the environment variable env sets flag name, and says
// so in the flag's help.
func (f *flagSet) bind(name, env string) {
	if env == "" {
		return
	}
	f.env[name] = env
	fl := f.fs.Lookup(name)
	fl.Usage += " [env " + env + "]"
}

func (f *flagSet) String(name, env, def, usage string) *string {
	p := f.fs.String(name, def, usage)
	f.bind(name, env)
	return p
}

func (f *flagSet) Bool(name, env string, def bool, usage string) *bool {
	p := f.fs.Bool(name, def, usage)
	f.bind(name, env)
	return p
}

func (f *flagSet) Int(name, env string, def int, usage string) *int {
	p := f.fs.Int(name, def, usage)
	f.bind(name, env)
	return p
}

func (f *flagSet) Int64(name, env string, def int64, usage string) *int64 {
	p := f.fs.Int64(name, def, usage)
	f.bind(name, env)
	return p
}

func (f *flagSet) Uint64(name, env string, def uint64, usage string) *uint64 {
	p := f.fs.Uint64(name, def, usage)
	f.bind(name, env)
	return p
}

func (f *flagSet) Duration(name, env string, def time.Duration, usage string) *time.Duration {
	p := f.fs.Duration(name, def, usage)
	f.bind(name, env)
	return p
}

// db registers --db, which every command that opens the database takes.
func (f *flagSet) db() *string {
	return f.String("db", "DATABASE_URL", "file:stigg.db",
		"database: a SQLite file (file:PATH) or postgres://...")
}

// sqliteSynchronous registers --sqlite-synchronous, which every command
// that writes to a SQLite database takes.
func (f *flagSet) sqliteSynchronous() *string {
	return f.String("sqlite-synchronous", "SQLITE_SYNCHRONOUS", db.SyncNormal,
		"SQLite only: NORMAL (a power loss may lose the last commits) or FULL (fsync per commit)")
}

// help writes the command's usage and flags to w.
func (f *flagSet) help(w io.Writer) {
	var b bytes.Buffer
	f.fs.SetOutput(&b)
	f.fs.PrintDefaults()
	f.fs.SetOutput(io.Discard)
	_, _ = io.WriteString(w, f.usage)
	if b.Len() > 0 {
		_, _ = io.WriteString(w, "\nFlags:\n")
		_, _ = w.Write(b.Bytes())
	}
}

// errUsage marks a command-line mistake (exit status 2, usage shown).
var errUsage = errors.New("usage")

// usageError is a command-line mistake with its message.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parse reads args, then the environment for every flag args did not set.
// -h, --help and -help print the usage to stdout and return flag.ErrHelp;
// a bad flag returns a usage error after printing the usage to stderr.
func (f *flagSet) parse(args []string, stdout, stderr io.Writer) error {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.help(stdout)
			return flag.ErrHelp
		}
		f.help(stderr)
		return usagef("%v", err)
	}
	return f.applyEnv()
}

func (f *flagSet) applyEnv() error {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var errs []string
	f.fs.VisitAll(func(fl *flag.Flag) {
		env, ok := f.env[fl.Name]
		if !ok || set[fl.Name] {
			return
		}
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return
		}
		if err := fl.Value.Set(strings.TrimSpace(v)); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q is not a valid value for --%s", env, v, fl.Name))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return nil
}
