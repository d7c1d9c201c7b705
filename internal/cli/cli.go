// Package cli is the headlines command: it reads the command line and
// the HEADLINES_* settings, opens the store and runs one command. Each
// command is in a file of its own with its flags (serve.go, migrate.go,
// import.go, export.go, retag.go, tagger.go, keys.go, healthcheck.go; the benchmark's
// generate and ceiling in bench.go); this file has the dispatcher, the
// usage and what the commands share. main only adds the process around it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/headlines/headlines/internal/config"
	"github.com/headlines/headlines/internal/store"
)

// ErrUsage is what Run returns for a command line it cannot run (no
// command, an unknown command or flag, missing or extra arguments) once it
// has written the reason and the usage to stderr. main exits 2 on it.
var ErrUsage = errors.New("usage")

// A command is one thing headlines does. Each is declared in a file of
// its own (serve.go, import.go, …; the benchmark's in bench.go), with its
// flags over options of its own.
type command struct {
	name    string   // "import", or "keys create" for an action of a group
	args    string   // its positional arguments as the usage shows them: "FILE|-"
	nargs   [2]int   // the fewest and the most positional arguments
	choices []string // what the first positional argument may be, when listed
	summary string   // one line, for the list of commands
	about   string   // more, for the command's own usage; may be empty
	// setup defines the command's flags on fs (a new one for each command
	// line), over its own options and the settings in o, and gives what
	// runs the command once they are parsed. help has none: Run answers it.
	setup func(fs *flag.FlagSet, o *options) runFunc
}

// A runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, pos []string) error

// options are what every command reads: the settings (which the --addr
// and --db flags override), the version, the process's streams. What only
// one command reads is its own, in its file.
type options struct {
	cfg            config.Config
	cfgErr         error
	version        string
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

func dbFlag(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.cfg.DB, "db", o.cfg.DB, "the `FILE` of a SQLite database, or a postgres:// URL (HEADLINES_DB)")
}

// commands are the product's, in the order the usage lists them; the
// benchmark's (benchCommands) follow under a heading of their own.
var commands = []*command{
	serveCommand, migrateCommand, importCommand, exportCommand, retagCommand, taggerReportCommand,
	keysCreateCommand, keysListCommand, keysRevokeCommand, healthcheckCommand,
	versionCommand, helpCommand,
}

var versionCommand = &command{
	name: "version", summary: "print the version of this binary",
	setup: func(_ *flag.FlagSet, o *options) runFunc {
		return func(context.Context, []string) error {
			b := buildInfo("", o.version)
			_, err := fmt.Fprintf(o.stdout, "headlines %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
			return err
		}
	},
}

var helpCommand = &command{name: "help", args: "[COMMAND]", nargs: [2]int{0, 2}, summary: "show this, or the usage of a command"}

// everyCommand gives the product's commands, then the benchmark's.
func everyCommand() []*command { return slices.Concat(commands, benchCommands) }

// Run is the whole program: it runs the command args name, with settings
// read through getenv. version is the binary's, for /version and /metrics.
func Run(ctx context.Context, version string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	o := &options{version: version, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	// A bad setting is reported when a command runs, not on --help.
	o.cfg, o.cfgErr = config.Load(getenv)
	if len(args) == 0 {
		return usageError(stderr, "no command given", mainUsage)
	}
	switch {
	case isHelp(args[0]): // headlines --help import: as help import
		args = append([]string{"help"}, args[1:]...)
	case args[0] == "-version" || args[0] == "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	cmd, rest, err := lookup(args, stdout, stderr)
	if cmd == nil {
		return err
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the usage is written here, to stdout for --help
	fs.Usage = func() {}
	var run runFunc
	if cmd.setup != nil {
		run = cmd.setup(fs, o)
	}
	pos, perr := parse(fs, rest)
	switch {
	case errors.Is(perr, flag.ErrHelp):
		return commandUsage(stdout, cmd, fs)
	case perr != nil:
		return usageError(stderr, cmd.name+": "+longFlags(perr.Error()), func(w io.Writer) error { return commandUsage(w, cmd, fs) })
	case len(pos) < cmd.nargs[0] || len(pos) > cmd.nargs[1]:
		msg := cmd.name + " takes no arguments"
		if cmd.args != "" {
			msg = cmd.name + " takes " + cmd.args
		}
		if len(pos) > cmd.nargs[1] {
			msg += fmt.Sprintf("; got %q", pos)
		}
		return usageError(stderr, msg, func(w io.Writer) error { return commandUsage(w, cmd, fs) })
	case cmd.choices != nil && !slices.Contains(cmd.choices, pos[0]):
		msg := fmt.Sprintf("unknown %s action %q: want %s", cmd.name, pos[0], orList(cmd.choices))
		return usageError(stderr, msg, func(w io.Writer) error { return commandUsage(w, cmd, fs) })
	}
	if cmd == helpCommand {
		return help(o, pos)
	}
	return run(ctx, pos)
}

// lookup finds the command args name, with its arguments. With none,
// it has written the usage of a group (keys --help) to stdout, or why
// there is no command to stderr and returned ErrUsage.
func lookup(args []string, stdout, stderr io.Writer) (*command, []string, error) {
	name := args[0]
	if groupOf(name) != nil {
		switch {
		case len(args) > 1 && isHelp(args[1]):
			return nil, nil, groupUsage(name)(stdout)
		case len(args) == 1 || strings.HasPrefix(args[1], "-"):
			return nil, nil, usageError(stderr, name+" needs an action first: "+actions(name), groupUsage(name))
		}
		if c := find(name + " " + args[1]); c != nil {
			return c, args[2:], nil
		}
		return nil, nil, usageError(stderr, fmt.Sprintf("unknown %s action %q: want %s", name, args[1], actions(name)), groupUsage(name))
	}
	if c := find(name); c != nil {
		return c, args[1:], nil
	}
	return nil, nil, usageError(stderr, fmt.Sprintf("unknown command %q", name), mainUsage)
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// find gives the command named name, or nil.
func find(name string) *command {
	for _, c := range everyCommand() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// groupOf gives the first action of the group name ("keys"), or nil when
// name is no group.
func groupOf(name string) *command {
	for _, c := range everyCommand() {
		if strings.HasPrefix(c.name, name+" ") {
			return c
		}
	}
	return nil
}

// actions lists the actions of a group: "create, list or revoke".
func actions(group string) string {
	var list []string
	for _, c := range everyCommand() {
		if a, ok := strings.CutPrefix(c.name, group+" "); ok {
			list = append(list, a)
		}
	}
	return orList(list)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// orList writes "a, b or c".
func orList(list []string) string {
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// parse reads flags before, between and after the positional arguments
// (until "--", after which everything is positional).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// help writes the usage of the command pos names, or of all, to stdout.
func help(o *options, pos []string) error {
	stdout, stderr := o.stdout, o.stderr
	if len(pos) == 0 {
		return mainUsage(stdout)
	}
	name := strings.Join(pos, " ")
	if c := find(name); c != nil {
		return commandUsage(stdout, c, flagSet(c, o))
	}
	if len(pos) == 1 && groupOf(name) != nil {
		return groupUsage(name)(stdout)
	}
	return usageError(stderr, fmt.Sprintf("no command %q", name), mainUsage)
}

// usageError writes why a command line cannot run, then usage, to w.
func usageError(w io.Writer, msg string, usage func(io.Writer) error) error {
	fmt.Fprintf(w, "headlines: %s\n\n", msg)
	_ = usage(w)
	return ErrUsage
}

func mainUsage(w io.Writer) error {
	var b strings.Builder
	b.WriteString("Usage: headlines <command> [flags] [arguments]\n")
	for _, part := range []struct {
		heading string
		list    []*command
	}{{"Commands", commands}, {"Benchmark commands (for measuring the service; not part of it)", benchCommands}} {
		b.WriteString("\n" + part.heading + ":\n")
		for _, c := range part.list {
			fmt.Fprintf(&b, "  %s\n      %s\n", synopsis(c), c.summary)
		}
	}
	b.WriteString("\nRun 'headlines help <command>' or 'headlines <command> --help' for a command's flags.\n" +
		"Settings come from HEADLINES_* environment variables; see README.md.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// synopsis writes a command with its arguments and flags:
// "keys create [--role ROLE] [--name NAME] [--db FILE]".
func synopsis(c *command) string {
	s := c.name
	if c.args != "" {
		s += " " + c.args
	}
	var flags []string
	flagSet(c, &options{}).VisitAll(func(f *flag.Flag) {
		label, _ := flagLabel(f)
		flags = append(flags, "["+label+"]")
	})
	// What the command is about first, the database last.
	slices.SortStableFunc(flags, func(a, b string) int {
		return boolInt(strings.HasPrefix(a, "[--db ")) - boolInt(strings.HasPrefix(b, "[--db "))
	})
	return strings.Join(append([]string{s}, flags...), " ")
}

// flagSet gives the flags of c, for its usage.
func flagSet(c *command, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.setup != nil {
		c.setup(fs, o)
	}
	return fs
}

// hasFlags tells whether fs defines any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// flagLabel gives a flag as the usage shows it, "--name NAME" ("--no-demo"
// for a switch), and its usage text.
func flagLabel(f *flag.Flag) (label, usage string) {
	arg, usage := flag.UnquoteUsage(f)
	if arg == "value" || arg == "bool" {
		arg = ""
	}
	return strings.TrimSpace("--" + f.Name + " " + arg), usage
}

func groupUsage(group string) func(io.Writer) error {
	return func(w io.Writer) error {
		var b strings.Builder
		fmt.Fprintf(&b, "Usage: headlines %s %s [flags] [arguments]\n\nActions:\n", group, strings.ReplaceAll(actions(group), ", ", "|"))
		for _, c := range everyCommand() {
			if strings.HasPrefix(c.name, group+" ") {
				fmt.Fprintf(&b, "  %-28s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
			}
		}
		fmt.Fprintf(&b, "\nRun 'headlines %s <action> --help' for an action's flags.\n", group)
		_, err := io.WriteString(w, strings.Replace(b.String(), " or ", "|", 1))
		return err
	}
}

// commandUsage writes "Usage: headlines import [flags] FILE|-", what the
// command does, and its flags.
func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) error {
	var b strings.Builder
	b.WriteString("Usage: headlines " + c.name)
	if hasFlags(fs) {
		b.WriteString(" [flags]")
	}
	if c.args != "" {
		b.WriteString(" " + c.args)
	}
	b.WriteString("\n\n" + strings.ToUpper(c.summary[:1]) + c.summary[1:] + ".\n")
	if c.about != "" {
		b.WriteString("\n" + c.about + "\n")
	}
	b.WriteString("\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flagLabel(f)
		def := f.DefValue
		if f.Name == "db" {
			def = store.Redact(def) // a PostgreSQL URL may hold a password
		}
		if def != "" && def != "false" {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(&b, "  %-20s %s\n", name, usage)
	})
	b.WriteString("  -h, --help           show this\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// config reports bad settings (HEADLINES_* and flags).
func (o *options) config() error {
	err := o.cfgErr
	if err == nil {
		err = o.cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	return nil
}

// open checks the settings and opens the store.
func (o *options) open(bulk bool) (*store.Store, error) {
	if err := o.config(); err != nil {
		return nil, err
	}
	// SQLite's read pool keeps two connections beside the expensive reads
	// (see api.QueryPool), so that they never take every one of them.
	opts := store.Options{Replicas: o.cfg.Replicas, ReadConns: max(4, o.cfg.ExpensiveQueries+2)}
	if bulk {
		// A million articles make a gigabyte of indexes: cached whole, each
		// index page is read once and written once per batch.
		opts.WriteCacheMiB = 1024
	}
	return store.Open(o.cfg.DB, opts)
}

// withStore runs f on the opened store, and closes it.
// onStore is the setup of a command whose only flag is --db and which
// runs on the opened store (bulk: with the page cache of an import).
func onStore(bulk bool, run func(ctx context.Context, st *store.Store, o *options, pos []string) error) func(*flag.FlagSet, *options) runFunc {
	return func(fs *flag.FlagSet, o *options) runFunc {
		dbFlag(fs, o)
		return func(ctx context.Context, pos []string) error {
			return withStore(o, bulk, func(st *store.Store) error { return run(ctx, st, o, pos) })
		}
	}
}

func withStore(o *options, bulk bool, f func(st *store.Store) error) error {
	st, err := o.open(bulk)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	return f(st)
}

// flagName is a flag as the flag package names it in its errors, with one dash.
var flagName = regexp.MustCompile(`(flag(?: provided but not defined:| needs an argument:)?|for) -([A-Za-z])`)

// longFlags writes the flags in a flag package error the way the usage
// shows them (--role, not -role), so the message and the usage agree.
func longFlags(msg string) string {
	return flagName.ReplaceAllString(msg, "$1 --$2")
}
