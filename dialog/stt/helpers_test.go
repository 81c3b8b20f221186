package stt

import (
	"os"

	"fayun/dialog/cards"
)

func mkTemp() (string, error) { return os.MkdirTemp("", "fayun-stt-test-") }

func cardsAll() ([]cards.Card, error) { return cards.All() }
