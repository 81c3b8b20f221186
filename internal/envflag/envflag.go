// Package envflag binds command-line flags to FAYUN_* environment variables: every
// setting can be given as a flag or in the environment, the flag winning, and the
// help output names both.
package envflag

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Set is a flag.FlagSet whose flags also read an environment variable.
type Set struct {
	*flag.FlagSet
	envs   map[string]string // flag name → variable
	lookup func(string) (string, bool)
	errs   []error
}

// New returns an empty set for the named command. Values in the environment are read
// through lookup (os.LookupEnv when nil), which tests replace.
func New(name string, lookup func(string) (string, bool)) *Set {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &Set{FlagSet: fs, envs: map[string]string{}, lookup: lookup}
}

// EnvName returns the environment variable for a flag name: "db-url" → "FAYUN_DB_URL".
func EnvName(flagName string) string {
	return "FAYUN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (s *Set) env(name string) (string, bool) {
	v := EnvName(name)
	s.envs[name] = v
	return s.lookup(v)
}

func (s *Set) fail(name, val string, err error) {
	s.errs = append(s.errs, fmt.Errorf("%s=%q: %v", EnvName(name), val, err))
}

// String defines a string setting.
func (s *Set) String(p *string, name, def, usage string) {
	if v, ok := s.env(name); ok {
		def = v
	}
	s.StringVar(p, name, def, usage)
}

// Int defines an integer setting.
func (s *Set) Int(p *int, name string, def int, usage string) {
	if v, ok := s.env(name); ok {
		if _, err := fmt.Sscan(v, &def); err != nil {
			s.fail(name, v, fmt.Errorf("not an integer"))
		}
	}
	s.IntVar(p, name, def, usage)
}

// Bool defines a boolean setting.
func (s *Set) Bool(p *bool, name string, def bool, usage string) {
	if v, ok := s.env(name); ok {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			def = true
		case "0", "false", "no", "off", "":
			def = false
		default:
			s.fail(name, v, fmt.Errorf("not a boolean (use true or false)"))
		}
	}
	s.BoolVar(p, name, def, usage)
}

// Float defines a floating-point setting.
func (s *Set) Float(p *float64, name string, def float64, usage string) {
	if v, ok := s.env(name); ok {
		if _, err := fmt.Sscan(v, &def); err != nil {
			s.fail(name, v, fmt.Errorf("not a number"))
		}
	}
	s.Float64Var(p, name, def, usage)
}

// Duration defines a duration setting ("4s", "250ms").
func (s *Set) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	if v, ok := s.env(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.fail(name, v, fmt.Errorf("not a duration (for example 4s or 250ms)"))
		} else {
			def = d
		}
	}
	s.DurationVar(p, name, def, usage)
}

// Parse reads args after the environment. Malformed environment values are reported
// here, each naming its variable.
func (s *Set) Parse(args []string) error {
	s.Usage = s.usage
	if len(s.errs) > 0 {
		return fmt.Errorf("invalid setting: %w", s.errs[0])
	}
	return s.FlagSet.Parse(args)
}

// Vars returns every environment variable the set reads, sorted.
func (s *Set) Vars() []string {
	var out []string
	for _, v := range s.envs {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func (s *Set) usage() {
	w := s.Output()
	fmt.Fprintf(w, "Usage of fayun %s:\n", s.Name())
	s.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  -%s %s\n", f.Name, name)
		if env, ok := s.envs[f.Name]; ok {
			fmt.Fprintf(w, "        %s (env %s, default %q)\n", usage, env, f.DefValue)
		} else {
			fmt.Fprintf(w, "        %s (default %q)\n", usage, f.DefValue)
		}
	})
}
