package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/accounts"
	"fayun/internal/envflag"
	"fayun/lawyers"
)

func init() {
	register("accounts", "list the accounts of lawyers, staff and operators", accountsList)
	register("accounts create", "create a staff or operator account and print its invitation link",
		accountsCreate)
	register("accounts invite", "print a new one-time link for an account (by email or lawyer id)",
		accountsInvite)
	register("accounts dev-seed", "DEVELOPMENT ONLY: accounts with known passwords for a few lawyers, "+
		"one staff and one operator", accountsDevSeed)
	register("lawyers invite", "create lawyer ID's account if needed and print a one-time link",
		lawyersInvite)
}

// accountSettings are the settings of the account commands.
type accountSettings struct {
	base      baseSettings
	publicURL string
	pool      *pgxpool.Pool
}

func (s *accountSettings) register(fs *envflag.Set) {
	s.base.register(fs)
	fs.String(&s.publicURL, "public-url", "http://127.0.0.1:8080",
		"address people use to reach this service, for the links the commands print")
}

// openAccounts parses the settings and opens the account service.
func openAccounts(ctx context.Context, env *environ, name string, args []string,
	extra func(fs *envflag.Set)) (*accounts.Service, *accountSettings, []string, func(), error) {
	var s accountSettings
	fs := envflag.New(name, env.lookup)
	s.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseArgs(fs, env, args); err != nil {
		return nil, nil, nil, nil, err
	}
	if err := s.base.validate(); err != nil {
		return nil, nil, nil, nil, err
	}
	log := s.base.logger(env.stderr)
	pool, err := s.base.open(ctx, log, true)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s.pool = pool
	return accounts.New(pool, accounts.Config{Log: log}), &s, fs.Args(), pool.Close, nil
}

func (s *accountSettings) inviteLink(token string) string {
	return strings.TrimRight(s.publicURL, "/") + "/invite/" + token
}

func accountsList(ctx context.Context, env *environ, args []string) error {
	svc, _, rest, done, err := openAccounts(ctx, env, "accounts", args, nil)
	if err != nil {
		return err
	}
	defer done()
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unknown accounts command %q (try: create, invite, dev-seed)",
			rest[0])}
	}
	list, err := svc.List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%-6s %-9s %-7s %-36s %s\n", "ID", "ROLE", "LAWYER", "EMAIL", "STATE")
	for _, a := range list {
		state := "active"
		switch {
		case a.Disabled:
			state = "disabled"
		case !a.HasPassword:
			state = "invited"
		}
		lawyer := "-"
		if a.LawyerID > 0 {
			lawyer = strconv.Itoa(a.LawyerID)
		}
		fmt.Fprintf(env.stdout, "%-6d %-9s %-7s %-36s %s\n", a.ID, a.Role, lawyer, a.Email, state)
	}
	return nil
}

func accountsCreate(ctx context.Context, env *environ, args []string) error {
	var role, email, name string
	svc, s, rest, done, err := openAccounts(ctx, env, "accounts create", args, func(fs *envflag.Set) {
		fs.StringVar(&role, "role", "", "staff or operator (lawyers: use 'fayun lawyers invite ID')")
		fs.StringVar(&email, "email", "", "the person's email address, used to sign in")
		fs.StringVar(&name, "name", "", "the person's name as shown on pages")
	})
	if err != nil {
		return err
	}
	defer done()
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("accounts create takes no arguments, got %q", rest)}
	}
	if role != string(accounts.RoleStaff) && role != string(accounts.RoleOperator) {
		return usageError{"accounts create: --role must be staff or operator"}
	}
	a, err := svc.Create(ctx, accounts.NewAccount{Email: email, Role: accounts.Role(role), Name: name})
	if err != nil {
		return err
	}
	return printInvite(ctx, env, svc, s, a)
}

func printInvite(ctx context.Context, env *environ, svc *accounts.Service, s *accountSettings,
	a accounts.Account) error {
	token, err := svc.Invite(ctx, a.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "account %d (%s, %s)\none-time link to set the password "+
		"(valid 72 hours):\n%s\n", a.ID, a.Role, a.Email, s.inviteLink(token))
	return nil
}

func accountsInvite(ctx context.Context, env *environ, args []string) error {
	svc, s, rest, done, err := openAccounts(ctx, env, "accounts invite", args, nil)
	if err != nil {
		return err
	}
	defer done()
	if len(rest) != 1 {
		return usageError{"usage: fayun accounts invite EMAIL|LAWYER_ID"}
	}
	a, err := svc.ByLogin(ctx, rest[0])
	if err != nil {
		return fmt.Errorf("accounts invite %s: %w", rest[0], err)
	}
	return printInvite(ctx, env, svc, s, a)
}

func lawyersInvite(ctx context.Context, env *environ, args []string) error {
	var email string
	svc, s, rest, done, err := openAccounts(ctx, env, "lawyers invite", args, func(fs *envflag.Set) {
		fs.StringVar(&email, "email", "", "the lawyer's email (default lawyerID@fayun.local); "+
			"the lawyer may also sign in with the lawyer number")
	})
	if err != nil {
		return err
	}
	defer done()
	if len(rest) != 1 {
		return usageError{"usage: fayun lawyers invite LAWYER_ID"}
	}
	id, err := strconv.Atoi(rest[0])
	if err != nil || id <= 0 || id > lawyers.RosterSize {
		return usageError{fmt.Sprintf("lawyers invite: want a lawyer id 1 to %d, got %q",
			lawyers.RosterSize, rest[0])}
	}
	a, err := svc.ByLawyer(ctx, id)
	if errors.Is(err, accounts.ErrNotFound) {
		if email == "" {
			email = fmt.Sprintf("lawyer%d@fayun.local", id)
		}
		var name string
		if l, err := lawyers.NewDirectory(s.pool).Get(ctx, id); err == nil {
			name = l.Name
		}
		a, err = svc.Create(ctx, accounts.NewAccount{Email: email, Role: accounts.RoleLawyer,
			LawyerID: id, Name: name})
	}
	if err != nil {
		return err
	}
	return printInvite(ctx, env, svc, s, a)
}

func accountsDevSeed(ctx context.Context, env *environ, args []string) error {
	var ids, password string
	svc, _, rest, done, err := openAccounts(ctx, env, "accounts dev-seed", args, func(fs *envflag.Set) {
		fs.StringVar(&ids, "lawyers", "1,2,3", "comma-separated lawyer ids to give accounts")
		fs.StringVar(&password, "password", "", "password for every seeded account "+
			"(default: a random one each, printed)")
	})
	if err != nil {
		return err
	}
	defer done()
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("accounts dev-seed takes no arguments, got %q", rest)}
	}
	var lawyerIDs []int
	for _, f := range strings.Split(ids, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || id <= 0 || id > lawyers.RosterSize {
			return usageError{fmt.Sprintf("accounts dev-seed: bad lawyer id %q", f)}
		}
		lawyerIDs = append(lawyerIDs, id)
	}
	seeded, err := svc.DevSeed(ctx, lawyerIDs, password)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "DEVELOPMENT accounts (never run this on a production database):")
	for _, d := range seeded {
		login := d.Account.Email
		if d.Account.LawyerID > 0 {
			login = fmt.Sprintf("%s (or %d)", d.Account.Email, d.Account.LawyerID)
		}
		fmt.Fprintf(env.stdout, "  %-9s %-40s password %s\n", d.Account.Role, login, d.Password)
	}
	return nil
}
