package clips

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"fayun/dialog/audio"
	"fayun/dialog/tts"
)

// hub fans the notifications of Channel out to subscribers over one connection of its
// own, opened with the first subscriber and closed with the last.
type hub struct {
	mu     sync.Mutex
	subs   map[chan int64]struct{}
	stop   context.CancelFunc
	closed bool
}

// Subscribe returns a channel that receives the id of every clip that changes, in any
// process, and 0 after the listening connection was (re)opened (anything may have
// changed). Slow subscribers miss ids rather than block others; poll now and then.
// Call the returned function to unsubscribe; it closes the channel.
func (s *Service) Subscribe() (<-chan int64, func()) {
	ch := make(chan int64, 64)
	h := &s.hub
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[chan int64]struct{}{}
	}
	h.subs[ch] = struct{}{}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		go s.listen(ctx)
	}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[ch]; !ok {
				return // closed by CloseEvents
			}
			delete(h.subs, ch)
			close(ch)
			if len(h.subs) == 0 && h.stop != nil {
				h.stop()
				h.stop = nil
			}
		})
	}
}

// CloseEvents ends every subscription (closing the channels, so event streams end)
// and refuses new ones; call it when the server shuts down.
func (s *Service) CloseEvents() {
	h := &s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
	}
	h.subs = nil
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
}

func (s *Service) broadcast(id int64) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	for ch := range s.hub.subs {
		select {
		case ch <- id:
		default:
		}
	}
}

// listen holds a LISTEN connection until ctx ends, reconnecting after a second when
// the database goes away.
func (s *Service) listen(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.listenOnce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.WarnContext(ctx, "clip events connection lost", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (s *Service) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.broadcast(0)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			s.broadcast(id)
		}
	}
}

// Preview speaks the first sentence of req's script in the voice the clip would have
// and returns it as a 48 kHz WAV file, so a voice can be tried before queuing. Only
// the script, lawyer, language, speed and pitch of req are checked.
func (s *Service) Preview(ctx context.Context, req Request) ([]byte, error) {
	req.Size, req.Formats, req.Title = Sizes[0], []Format{MP4}, ""
	if err := req.Normalize(); err != nil {
		return nil, err
	}
	l, err := checkLawyer(ctx, s.cfg.Lawyers, req.LawyerID)
	if err != nil {
		return nil, err
	}
	first := Sentences(req.Script)[0]
	sp, err := s.cfg.Speech.Synthesize(ctx, first, Voice(l, req.Lang, req.Speed, req.Pitch))
	if err != nil {
		return nil, fmt.Errorf("clips: preview: %w", err)
	}
	if sp.Audio.Rate != tts.OutputRate {
		if sp.Audio, err = audio.Resample(sp.Audio, tts.OutputRate); err != nil {
			return nil, fmt.Errorf("clips: preview: %w", err)
		}
	}
	b, err := audio.EncodeWAV(sp.Audio)
	if err != nil {
		return nil, fmt.Errorf("clips: preview: %w", err)
	}
	return b, nil
}
