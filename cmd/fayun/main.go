// Command fayun is the one binary of the Fayun digital-lawyer service: the server, the
// background worker, migrations and the operator and check tools. Each subcommand
// lives in its own file and registers itself in commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of fayun.
type command struct {
	summary string
	// run executes the command; args exclude the command name.
	run func(ctx context.Context, env *environ, args []string) error
}

// environ is what a command sees of the process: its streams and environment. Tests
// build their own.
type environ struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

// commands maps each subcommand name (for nested ones, "laws import") to its command.
var commands = map[string]command{}

func register(name, summary string, run func(context.Context, *environ, []string) error) {
	if _, dup := commands[name]; dup {
		panic("fayun: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environ{stdout: os.Stdout, stderr: os.Stderr, lookup: os.LookupEnv}
	err := dispatch(ctx, env, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fayun:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors and 1 for everything else.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// dispatch finds the longest registered command name that prefixes args and runs it.
func dispatch(ctx context.Context, env *environ, args []string) error {
	for n := min(2, len(args)); n >= 1; n-- {
		name := args[0]
		if n == 2 {
			name += " " + args[1]
		}
		if c, ok := commands[name]; ok {
			return c.run(ctx, env, args[n:])
		}
	}
	printHelp(env.stderr)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		return flag.ErrHelp
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "fayun: the Fayun digital-lawyer service\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'fayun COMMAND --help' for the settings of a command.")
}
