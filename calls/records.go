package calls

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fayun/dialog"
	"fayun/dialog/answer"
)

// ErrNotFound is returned for a call or token that does not exist.
var ErrNotFound = errors.New("call not found")

// ErrRated is returned when a call already has a rating.
var ErrRated = errors.New("call already rated")

// Records stores calls, their turns and ratings in Postgres.
type Records struct {
	pool *pgxpool.Pool
	node string
}

// NewRecords returns the call records of pool; node names this process in the rows it
// creates.
func NewRecords(pool *pgxpool.Pool, node string) *Records {
	return &Records{pool: pool, node: node}
}

// Record is a stored call.
type Record struct {
	ID              string
	LawyerID        int
	Lang            string
	TranscriptToken string
	StartedAt       time.Time
	EndedAt         *time.Time
	EndReason       string
	HandedOff       bool
}

// newToken returns 32 random bytes in URL-safe base64.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newID returns a short random call id.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create stores a new call and returns it with its id and transcript token.
func (r *Records) Create(ctx context.Context, lawyerID int, lang string) (Record, error) {
	rec := Record{ID: newID(), LawyerID: lawyerID, Lang: lang, TranscriptToken: newToken()}
	err := r.pool.QueryRow(ctx, `INSERT INTO calls (id, lawyer_id, lang, transcript_token, node)
		VALUES ($1, $2, $3, $4, $5) RETURNING started_at`,
		rec.ID, lawyerID, lang, rec.TranscriptToken, r.node).Scan(&rec.StartedAt)
	if err != nil {
		return Record{}, fmt.Errorf("calls: create: %w", err)
	}
	return rec, nil
}

// End marks a call ended with a reason, once.
func (r *Records) End(ctx context.Context, id, reason string, handedOff bool) error {
	_, err := r.pool.Exec(ctx, `UPDATE calls SET ended_at = now(), end_reason = $2,
		handed_off = handed_off OR $3 WHERE id = $1 AND ended_at IS NULL`, id, reason, handedOff)
	if err != nil {
		return fmt.Errorf("calls: end %s: %w", id, err)
	}
	return nil
}

// SetRecording notes where the caller's audio of call id was saved.
func (r *Records) SetRecording(ctx context.Context, id, path string) error {
	_, err := r.pool.Exec(ctx, `UPDATE calls SET recording = $2 WHERE id = $1`, id, path)
	if err != nil {
		return fmt.Errorf("calls: set recording of %s: %w", id, err)
	}
	return nil
}

func ms(d time.Duration) *int {
	if d <= 0 {
		return nil
	}
	v := int(d.Milliseconds())
	return &v
}

// AddTurn stores one turn of call id.
func (r *Records) AddTurn(ctx context.Context, id string, t dialog.Turn) error {
	cites := t.Citations
	if cites == nil {
		cites = []answer.Citation{}
	}
	for i := range cites {
		cites[i].Text = "" // the library holds the text; keep the reference only
	}
	cj, _ := json.Marshal(cites)
	_, err := r.pool.Exec(ctx, `INSERT INTO call_turns (call_id, seq, question, typed, lang,
		answer, citations, interrupted, handoff, topic, engine, transcript_ms, first_sentence_ms,
		first_audio_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
		ON CONFLICT (call_id, seq) DO NOTHING`,
		id, t.Seq, t.Question, t.Typed, t.Lang, t.Answer, cj, t.Interrupted, t.Handoff, t.Topic,
		t.Engine, ms(t.Transcript), ms(t.FirstSentence), ms(t.FirstAudio))
	if err != nil {
		return fmt.Errorf("calls: add turn %d of %s: %w", t.Seq, id, err)
	}
	return nil
}

// Rate stores the caller's rating of the call whose transcript token is token.
func (r *Records) Rate(ctx context.Context, callID, token string, score int, comment string) error {
	if score < 1 || score > 5 {
		return fmt.Errorf("calls: score %d out of 1..5", score)
	}
	var ok bool
	err := r.pool.QueryRow(ctx, `SELECT true FROM calls WHERE id = $1 AND transcript_token = $2`,
		callID, token).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("calls: rate %s: %w", callID, err)
	}
	tag, err := r.pool.Exec(ctx, `INSERT INTO call_ratings (call_id, score, comment)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, callID, score, comment)
	if err != nil {
		return fmt.Errorf("calls: rate %s: %w", callID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrRated
	}
	return nil
}

// StoredTurn is a turn as the transcript shows it.
type StoredTurn struct {
	Seq         int
	Question    string
	Typed       bool
	Answer      string
	Citations   []answer.Citation
	Interrupted bool
	Handoff     bool
	At          time.Time
}

// Transcript is a call with its turns, read by its transcript token.
type Transcript struct {
	Record
	Turns []StoredTurn
}

// TranscriptByToken returns the call whose transcript token is token.
func (r *Records) TranscriptByToken(ctx context.Context, token string) (Transcript, error) {
	var t Transcript
	err := r.pool.QueryRow(ctx, `SELECT id, lawyer_id, lang, transcript_token, started_at, ended_at,
		coalesce(end_reason, ''), handed_off FROM calls WHERE transcript_token = $1`, token).Scan(
		&t.ID, &t.LawyerID, &t.Lang, &t.TranscriptToken, &t.StartedAt, &t.EndedAt, &t.EndReason,
		&t.HandedOff)
	if errors.Is(err, pgx.ErrNoRows) {
		return Transcript{}, ErrNotFound
	}
	if err != nil {
		return Transcript{}, fmt.Errorf("calls: transcript: %w", err)
	}
	t.Turns, err = r.Turns(ctx, t.ID)
	return t, err
}

// Turns returns the turns of call id in order.
func (r *Records) Turns(ctx context.Context, id string) ([]StoredTurn, error) {
	rows, err := r.pool.Query(ctx, `SELECT seq, question, typed, answer, citations, interrupted,
		handoff, created_at FROM call_turns WHERE call_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("calls: turns of %s: %w", id, err)
	}
	turns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (StoredTurn, error) {
		var s StoredTurn
		var cj []byte
		err := row.Scan(&s.Seq, &s.Question, &s.Typed, &s.Answer, &cj, &s.Interrupted,
			&s.Handoff, &s.At)
		if err == nil {
			err = json.Unmarshal(cj, &s.Citations)
		}
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("calls: turns of %s: %w", id, err)
	}
	return turns, nil
}
