package lawyers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned for a lawyer id that is not in the directory.
var ErrNotFound = errors.New("lawyer not found")

// Directory reads and updates the lawyers table.
type Directory struct {
	pool *pgxpool.Pool
}

// NewDirectory returns a directory backed by pool.
func NewDirectory(pool *pgxpool.Pool) *Directory { return &Directory{pool: pool} }

// Seed writes the roster into the table. It is idempotent: rows that already hold the
// roster's values are left untouched (updated_at keeps its value), and duty status,
// which is live state, is never overwritten.
func (d *Directory) Seed(ctx context.Context) (changed int64, err error) {
	const q = `
INSERT INTO lawyers (id, name, gender, firm, district, specialties, languages,
                     years_practice, bio)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, gender = EXCLUDED.gender, firm = EXCLUDED.firm,
    district = EXCLUDED.district, specialties = EXCLUDED.specialties,
    languages = EXCLUDED.languages, years_practice = EXCLUDED.years_practice,
    bio = EXCLUDED.bio, updated_at = now()
WHERE (lawyers.name, lawyers.gender, lawyers.firm, lawyers.district, lawyers.specialties,
       lawyers.languages, lawyers.years_practice, lawyers.bio)
   IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.gender, EXCLUDED.firm, EXCLUDED.district,
       EXCLUDED.specialties, EXCLUDED.languages, EXCLUDED.years_practice, EXCLUDED.bio)`
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, l := range Roster() {
			b.Queue(q, l.ID, l.Name, l.Gender, l.Firm, l.District, l.Specialties, l.Languages,
				l.YearsPractice, l.Bio)
		}
		res := tx.SendBatch(ctx, b)
		defer res.Close()
		for range RosterSize {
			tag, err := res.Exec()
			if err != nil {
				return err
			}
			changed += tag.RowsAffected()
		}
		return res.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("lawyers: seed roster: %w", err)
	}
	return changed, nil
}

// Filter narrows a directory listing. Zero fields do not filter.
type Filter struct {
	Specialty string // a specialty code
	District  string // one of Districts
	Query     string // part of the name or firm
	OnDuty    bool   // only lawyers on duty
}

const columns = `id, name, gender, firm, district, specialties, languages, years_practice,
	bio, on_duty`

func scan(row pgx.Row) (Lawyer, error) {
	var l Lawyer
	err := row.Scan(&l.ID, &l.Name, &l.Gender, &l.Firm, &l.District, &l.Specialties,
		&l.Languages, &l.YearsPractice, &l.Bio, &l.OnDuty)
	return l, err
}

// List returns the lawyers matching f, ordered by id.
func (d *Directory) List(ctx context.Context, f Filter) ([]Lawyer, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Specialty != "" {
		add("$%d = ANY(specialties)", f.Specialty)
	}
	if f.District != "" {
		add("district = $%d", f.District)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		add("strpos(name || ' ' || firm, $%d) > 0", q)
	}
	if f.OnDuty {
		where = append(where, "on_duty")
	}
	sql := "SELECT " + columns + " FROM lawyers"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := d.pool.Query(ctx, sql+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("lawyers: list: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Lawyer, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("lawyers: list: %w", err)
	}
	return out, nil
}

// Get returns one lawyer, or ErrNotFound.
func (d *Directory) Get(ctx context.Context, id int) (Lawyer, error) {
	l, err := scan(d.pool.QueryRow(ctx, "SELECT "+columns+" FROM lawyers WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Lawyer{}, ErrNotFound
	}
	if err != nil {
		return Lawyer{}, fmt.Errorf("lawyers: get %d: %w", id, err)
	}
	return l, nil
}

// SetDuty puts a lawyer on or off duty.
func (d *Directory) SetDuty(ctx context.Context, id int, onDuty bool) error {
	tag, err := d.pool.Exec(ctx,
		"UPDATE lawyers SET on_duty = $2, updated_at = now() WHERE id = $1", id, onDuty)
	if err != nil {
		return fmt.Errorf("lawyers: set duty of %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
