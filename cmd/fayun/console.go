package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fayun/accounts"
	"fayun/calls"
	"fayun/console"
	"fayun/handoffs"
	"fayun/internal/envflag"
	"fayun/lawyers"
)

// consoleSettings are the settings of accounts and the handoff queue in `fayun serve`.
type consoleSettings struct {
	offerTimeout time.Duration
	maxWait      time.Duration
	sessionTTL   time.Duration
}

func (s *consoleSettings) register(fs *envflag.Set) {
	fs.Duration(&s.offerTimeout, "handoff-offer-timeout", 20*time.Second,
		"how long one lawyer may take to accept a handoff before it is offered to the next")
	fs.Duration(&s.maxWait, "handoff-max-wait", 90*time.Second,
		"how long a caller waits for a lawyer in all before being told nobody is free")
	fs.Duration(&s.sessionTTL, "session-ttl", 12*time.Hour,
		"how long a signed-in lawyer or staff session lasts without use (at most 7 days)")
}

func (s *consoleSettings) validate() error {
	if s.offerTimeout < time.Second || s.offerTimeout > 10*time.Minute {
		return fmt.Errorf("FAYUN_HANDOFF_OFFER_TIMEOUT: want 1s to 10m, got %s", s.offerTimeout)
	}
	if s.maxWait < s.offerTimeout || s.maxWait > time.Hour {
		return fmt.Errorf("FAYUN_HANDOFF_MAX_WAIT: want from the offer timeout to 1h, got %s", s.maxWait)
	}
	if s.sessionTTL < time.Minute || s.sessionTTL > 7*24*time.Hour {
		return fmt.Errorf("FAYUN_SESSION_TTL: want 1m to 168h, got %s", s.sessionTTL)
	}
	return nil
}

// consoleParts is what buildConsole makes: the accounts for web.Config.Accounts, the
// console for calls.Config.Handoffs and web.Config.Mount.
type consoleParts struct {
	accounts *accounts.Service
	console  *console.Console
	queue    *handoffs.Queue
}

// buildConsole builds accounts, the handoff queue and the console, and starts the
// queue's listener and the relay to this node's calls; they stop at drain.
func (srv *server) buildConsole(s *consoleSettings, dir *lawyers.Directory,
	records *calls.Records) *consoleParts {
	log := srv.log
	acc := accounts.New(srv.pool, accounts.Config{Log: log, SessionTTL: s.sessionTTL})
	q := handoffs.New(srv.pool, handoffs.Config{Log: log, OfferTimeout: s.offerTimeout,
		MaxWait: s.maxWait})
	con := console.New(console.Config{Log: log, Accounts: acc, Queue: q, Directory: dir,
		Records: records})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); q.Run(ctx, nil) }()
	go func() { defer wg.Done(); con.Run(ctx) }()
	srv.closers = append(srv.closers, func() { cancel(); wg.Wait() })
	return &consoleParts{accounts: acc, console: con, queue: q}
}
