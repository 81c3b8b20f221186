package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Invite creates a one-time token with which the account's owner sets a password at
// /invite/{token}. Earlier unused invitations of the account stop working.
func (s *Service) Invite(ctx context.Context, accountID int64) (string, error) {
	token, _, err := randomToken()
	if err != nil {
		return "", err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM account_invites WHERE account_id = $1 AND used_at IS NULL",
			accountID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
INSERT INTO account_invites (token_hash, account_id, expires_at) VALUES ($1, $2, $3)`,
			tokenHash(token), accountID, s.cfg.Now().Add(s.cfg.InviteTTL))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("accounts: invite: %w", err)
	}
	return token, nil
}

// Invitation returns the account an unused, unexpired invitation belongs to.
func (s *Service) Invitation(ctx context.Context, token string) (Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `
SELECT `+prefixed("a.")+` FROM account_invites i JOIN accounts a ON a.id = i.account_id
WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND NOT a.disabled`,
		tokenHash(token), s.cfg.Now()))
	if errors.Is(err, ErrNotFound) {
		return Account{}, ErrInviteInvalid
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: read invitation: %w", err)
	}
	return a, nil
}

// AcceptInvite sets the password of the invitation's account and uses the invitation
// up. Two concurrent uses of one token: one wins, the other gets ErrInviteInvalid.
func (s *Service) AcceptInvite(ctx context.Context, token, password string) (Account, error) {
	if err := checkPassword(password); err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(password, s.cfg.Hash)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
UPDATE account_invites SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING account_id`, tokenHash(token), s.cfg.Now()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrInviteInvalid
		}
		if err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRow(ctx, `
UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1 AND NOT disabled
RETURNING `+accountColumns, id, hash))
		if errors.Is(err, ErrNotFound) {
			return ErrInviteInvalid
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = $1", id)
		return err
	})
	if errors.Is(err, ErrInviteInvalid) {
		return Account{}, err
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: accept invitation: %w", err)
	}
	s.cfg.Log.InfoContext(ctx, "invitation used", "account_id", a.ID)
	return a, nil
}
