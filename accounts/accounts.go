// Package accounts owns the people who sign in to Fayun — lawyers, content staff and
// operators — with their passwords (argon2id), one-time invitations, server-side
// sessions in Postgres, CSRF tokens bound to the session, sign-in throttling, and the
// HTTP middleware that guards staff pages and APIs by role.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Role is what an account may do.
type Role string

// The roles. A lawyer account is linked to one lawyer of the directory.
const (
	RoleLawyer   Role = "lawyer"
	RoleStaff    Role = "staff"
	RoleOperator Role = "operator"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleLawyer || r == RoleStaff || r == RoleOperator
}

// Errors callers branch on.
var (
	// ErrNotFound: no such account (or invitation).
	ErrNotFound = errors.New("accounts: not found")
	// ErrExists: the email or lawyer already has an account.
	ErrExists = errors.New("accounts: account exists")
	// ErrBadCredentials: wrong login or password. It never says which.
	ErrBadCredentials = errors.New("accounts: wrong login or password")
	// ErrThrottled: too many failed sign-ins for this account or address.
	ErrThrottled = errors.New("accounts: too many failed sign-ins")
	// ErrInviteInvalid: the invitation is unknown, used or expired.
	ErrInviteInvalid = errors.New("accounts: invitation invalid or expired")
	// ErrWeakPassword: the password is too short or too long.
	ErrWeakPassword = errors.New("accounts: password must be 10 to 200 characters")
	// ErrSignedOut: no valid session.
	ErrSignedOut = errors.New("accounts: signed out")
	// ErrCSRF: the CSRF token is missing or does not belong to the session.
	ErrCSRF = errors.New("accounts: missing or wrong CSRF token")
)

// Account is one person who can sign in.
type Account struct {
	ID       int64
	Email    string
	Role     Role
	LawyerID int // 0 unless Role is RoleLawyer
	Name     string
	// HasPassword is false until the invitation has been used.
	HasPassword bool
	Disabled    bool
	CreatedAt   time.Time
}

// Config holds the settings of a Service. Zero fields take the defaults named.
type Config struct {
	Log *slog.Logger
	// SessionTTL is how long an idle session stays valid (default 12h); each use
	// extends it, up to SessionMaxAge after sign-in (default 7 days).
	SessionTTL    time.Duration
	SessionMaxAge time.Duration
	// InviteTTL is how long an invitation link works (default 72h).
	InviteTTL time.Duration
	// MaxFailures is how many failed sign-ins an account may have within
	// FailureWindow before further attempts are refused (default 5 in 15 minutes);
	// MaxFailuresIP is the same limit per client address (default 20).
	MaxFailures   int
	MaxFailuresIP int
	FailureWindow time.Duration
	// Hash sets the argon2id cost; zero means DefaultHashParams.
	Hash HashParams
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = 7 * 24 * time.Hour
	}
	if c.InviteTTL <= 0 {
		c.InviteTTL = 72 * time.Hour
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.MaxFailuresIP <= 0 {
		c.MaxFailuresIP = 20
	}
	if c.FailureWindow <= 0 {
		c.FailureWindow = 15 * time.Minute
	}
	if c.Hash == (HashParams{}) {
		c.Hash = DefaultHashParams
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Service reads and writes accounts and sessions.
type Service struct {
	pool *pgxpool.Pool
	cfg  Config
	// dummyHash is verified against for unknown logins so that they cost the same time.
	dummyHash string
}

// New returns a service backed by pool.
func New(pool *pgxpool.Pool, cfg Config) *Service {
	cfg.defaults()
	s := &Service{pool: pool, cfg: cfg}
	s.dummyHash, _ = HashPassword("not a password of anyone", cfg.Hash)
	return s
}

var accountColumns = prefixed("")

// prefixed lists the account columns, each qualified by p (a table alias and a dot).
func prefixed(p string) string {
	return p + "id, " + p + "email, " + p + "role, COALESCE(" + p + "lawyer_id, 0), " + p +
		"name, " + p + "password_hash IS NOT NULL, " + p + "disabled, " + p + "created_at"
}

// scanAccount scans the account columns after the destinations in pre.
func scanAccount(row pgx.Row, pre ...any) (Account, error) {
	var a Account
	var role string
	dst := append(pre, &a.ID, &a.Email, &role, &a.LawyerID, &a.Name, &a.HasPassword,
		&a.Disabled, &a.CreatedAt)
	err := row.Scan(dst...)
	a.Role = Role(role)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	return a, err
}

// NewAccount describes an account to create.
type NewAccount struct {
	Email    string
	Role     Role
	LawyerID int // required for RoleLawyer, zero otherwise
	Name     string
}

// Create adds an account without a password; an invitation sets it.
func (s *Service) Create(ctx context.Context, n NewAccount) (Account, error) {
	email := normalizeEmail(n.Email)
	if !n.Role.Valid() {
		return Account{}, fmt.Errorf("accounts: create: unknown role %q", n.Role)
	}
	if (n.Role == RoleLawyer) != (n.LawyerID > 0) {
		return Account{}, fmt.Errorf("accounts: create: a lawyer id goes with role lawyer only")
	}
	if email == "" || !strings.Contains(email, "@") {
		return Account{}, fmt.Errorf("accounts: create: want an email address, got %q", n.Email)
	}
	var lawyerID any
	if n.LawyerID > 0 {
		lawyerID = n.LawyerID
	}
	a, err := scanAccount(s.pool.QueryRow(ctx, `
INSERT INTO accounts (email, role, lawyer_id, name) VALUES ($1, $2, $3, $4)
RETURNING `+accountColumns, email, string(n.Role), lawyerID, n.Name))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return Account{}, ErrExists
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return Account{}, fmt.Errorf("accounts: create: lawyer %d is not in the directory", n.LawyerID)
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: create: %w", err)
	}
	s.cfg.Log.InfoContext(ctx, "account created", "account_id", a.ID, "role", a.Role,
		"lawyer_id", a.LawyerID)
	return a, nil
}

// Get returns the account with id.
func (s *Service) Get(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx,
		"SELECT "+accountColumns+" FROM accounts WHERE id = $1", id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Account{}, fmt.Errorf("accounts: get: %w", err)
	}
	return a, err
}

// ByLogin finds an account by email, or by lawyer number when login is all digits.
func (s *Service) ByLogin(ctx context.Context, login string) (Account, error) {
	login = normalizeEmail(login)
	var row pgx.Row
	if id, err := strconv.Atoi(login); err == nil {
		row = s.pool.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE lawyer_id = $1", id)
	} else {
		row = s.pool.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE email = $1", login)
	}
	a, err := scanAccount(row)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Account{}, fmt.Errorf("accounts: find login: %w", err)
	}
	return a, err
}

// ByLawyer returns the account linked to a lawyer.
func (s *Service) ByLawyer(ctx context.Context, lawyerID int) (Account, error) {
	return s.ByLogin(ctx, strconv.Itoa(lawyerID))
}

// List returns every account, lawyers first by lawyer id, then the others by email.
func (s *Service) List(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accountColumns+
		" FROM accounts ORDER BY lawyer_id NULLS LAST, email")
	if err != nil {
		return nil, fmt.Errorf("accounts: list: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		return scanAccount(r)
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: list: %w", err)
	}
	return out, nil
}

// SetPassword sets an account's password and ends all its sessions.
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.Hash)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			"UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1", id, hash)
		if err != nil {
			return fmt.Errorf("accounts: set password: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1", id); err != nil {
			return fmt.Errorf("accounts: end sessions: %w", err)
		}
		return nil
	})
}

// SetDisabled disables or enables an account; disabling ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	tag, err := s.pool.Exec(ctx,
		"UPDATE accounts SET disabled = $2, updated_at = now() WHERE id = $1", id, disabled)
	if err != nil {
		return fmt.Errorf("accounts: disable: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	if disabled {
		if _, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1", id); err != nil {
			return fmt.Errorf("accounts: end sessions: %w", err)
		}
	}
	return nil
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkPassword(p string) error {
	if n := len([]rune(p)); n < 10 || n > 200 {
		return ErrWeakPassword
	}
	return nil
}
