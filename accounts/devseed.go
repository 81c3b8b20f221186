package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
)

// DevAccount is an account DevSeed made usable, with its password.
type DevAccount struct {
	Account  Account
	Password string
}

// DevSeed creates (or resets) development accounts with known passwords: one lawyer
// account for each of lawyerIDs (email lawyerN@dev.fayun.local), one staff and one
// operator. It is for development machines only and runs only when a person asks for
// it (`fayun accounts dev-seed`); nothing calls it automatically. An empty password
// means a fresh random one per account.
func (s *Service) DevSeed(ctx context.Context, lawyerIDs []int, password string) ([]DevAccount,
	error) {
	wants := []NewAccount{}
	for _, id := range lawyerIDs {
		wants = append(wants, NewAccount{Email: fmt.Sprintf("lawyer%d@dev.fayun.local", id),
			Role: RoleLawyer, LawyerID: id})
	}
	wants = append(wants,
		NewAccount{Email: "staff@dev.fayun.local", Role: RoleStaff, Name: "Dev staff"},
		NewAccount{Email: "operator@dev.fayun.local", Role: RoleOperator, Name: "Dev operator"})
	var out []DevAccount
	for _, n := range wants {
		a, err := s.Create(ctx, n)
		if errors.Is(err, ErrExists) {
			login := n.Email
			if n.LawyerID > 0 {
				login = fmt.Sprint(n.LawyerID)
			}
			a, err = s.ByLogin(ctx, login)
		}
		if err != nil {
			return out, err
		}
		pw := password
		if pw == "" {
			pw = rand.Text()
		}
		if err := s.SetPassword(ctx, a.ID, pw); err != nil {
			return out, err
		}
		if a.Disabled {
			if err := s.SetDisabled(ctx, a.ID, false); err != nil {
				return out, err
			}
		}
		out = append(out, DevAccount{Account: a, Password: pw})
	}
	return out, nil
}
