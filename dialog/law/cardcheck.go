package law

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/dialog/cards"
)

// CardProblem is a citation of a card that the library cannot back.
type CardProblem struct {
	CardID  string
	Law     string
	Article int
	Reason  string // "law not imported" or "no such article (law has N)"
}

func (p CardProblem) String() string {
	return fmt.Sprintf("card %s cites %s 第%s条 (%d): %s", p.CardID, p.Law,
		FormatNumeral(p.Article), p.Article, p.Reason)
}

// CheckCards returns every citation of cs that names a law or article missing from the
// library. An empty library (nothing imported yet) reports nothing.
func CheckCards(lib *Library, cs []cards.Card) []CardProblem {
	if len(lib.laws) == 0 {
		return nil
	}
	var out []CardProblem
	for _, c := range cs {
		for _, ct := range c.Cites {
			l, ok := lib.byTitle[ct.Law]
			switch {
			case !ok:
				out = append(out, CardProblem{c.ID, ct.Law, ct.Article, "law not imported"})
			case ct.Article > len(l.Articles):
				out = append(out, CardProblem{c.ID, ct.Law, ct.Article,
					fmt.Sprintf("no such article (law has %d)", len(l.Articles))})
			}
		}
	}
	return out
}

// StoreCards writes the cards to the database in one transaction, replacing every card
// stored before, so the table always mirrors the cards embedded in the binary.
func StoreCards(ctx context.Context, pool *pgxpool.Pool, cs []cards.Card) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		ids := make([]string, 0, len(cs))
		for _, c := range cs {
			body, err := json.Marshal(c)
			if err != nil {
				return fmt.Errorf("encode card %s: %w", c.ID, err)
			}
			_, err = tx.Exec(ctx, `INSERT INTO cards (id, topic, risk, offer_lawyer, body)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (id) DO UPDATE SET topic = $2, risk = $3, offer_lawyer = $4,
					body = $5, updated_at = now()
				WHERE cards.body IS DISTINCT FROM excluded.body`,
				c.ID, c.Topic, string(c.Risk), c.OfferLawyer, body)
			if err != nil {
				return fmt.Errorf("upsert card %s: %w", c.ID, err)
			}
			ids = append(ids, c.ID)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cards WHERE NOT (id = ANY($1))`, ids); err != nil {
			return fmt.Errorf("delete old cards: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store cards: %w", err)
	}
	return nil
}
