package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"

	"dossier/views/pages"
)

// adminFeed pushes the console's live part to the administrators' /events
// streams: while at least one is connected here, it renders the part once
// per interval (one set of grouped queries per instance, not per tab) and
// hands it to every stream whose copy is out of date. With nobody
// connected, it does nothing.
type adminFeed struct {
	render   func(ctx context.Context) ([]byte, error)
	interval time.Duration
	done     <-chan struct{}

	mu      sync.Mutex
	subs    map[chan []byte]struct{}
	last    []byte
	running bool
}

func newAdminFeed(render func(ctx context.Context) ([]byte, error), interval time.Duration, done <-chan struct{}) *adminFeed {
	return &adminFeed{render: render, interval: interval, done: done, subs: map[chan []byte]struct{}{}}
}

// subscribe returns a channel of rendered live parts (only the latest is
// kept) and the func that ends the subscription.
func (f *adminFeed) subscribe() (<-chan []byte, func()) {
	ch := make(chan []byte, 1)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	if !f.running {
		f.running = true
		go f.loop()
	}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

func (f *adminFeed) loop() {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-f.done:
			return
		case <-t.C:
		}
		f.mu.Lock()
		if len(f.subs) == 0 {
			f.running, f.last = false, nil
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		data, err := f.render(ctx)
		cancel()
		if err != nil {
			slog.Warn("admin console refresh", "err", err)
			continue
		}
		f.mu.Lock()
		changed := !bytes.Equal(data, f.last)
		f.last = data
		for ch := range f.subs {
			if !changed {
				continue
			}
			select {
			case <-ch: // drop the stale one
			default:
			}
			ch <- data
		}
		f.mu.Unlock()
	}
}

// adminLiveHTML renders the console's live part.
func (s *Server) adminLiveHTML(ctx context.Context) ([]byte, error) {
	vm, err := s.adminLiveVM(ctx)
	if err != nil {
		return nil, err
	}
	return renderBytes(pages.AdminLive(vm)), nil
}
