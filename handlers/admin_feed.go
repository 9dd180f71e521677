package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"dossier/views/pages"
)

// adminFeed pushes the console's live part to the administrators' /events
// streams: while at least one is connected here, it renders the part once
// per interval (one set of grouped queries per instance, not per tab) and
// hands it to every stream whose copy is out of date. With nobody
// connected, it does nothing.
//
// A stream subscribes when its user is an administrator as it opens (the
// request's user, read from the database). The role can be withdrawn while
// the stream is open (models.SetAdmin, or by hand in the database), on any
// instance: so before each push, after rendering it, the feed reads which
// of its subscribers are still administrators (one query per instance and
// interval), drops the others' subscriptions, and pushes to the rest only.
// A demoted user's open tab gets nothing rendered after the demotion, on
// every instance, and no announcement between instances is needed: its
// last push instead is pages.AdminRevoked, which replaces the console's
// live part with a notice that the role was withdrawn (else the page
// would go on showing its last state as if live).
type adminFeed struct {
	render func(ctx context.Context) ([]byte, error)
	// admins keeps of the users' ids those of administrators.
	admins   func(ctx context.Context, userIDs []string) ([]string, error)
	interval time.Duration
	done     <-chan struct{}

	mu      sync.Mutex
	subs    map[chan []byte]string // → the subscriber's user id
	last    []byte
	running bool
}

func newAdminFeed(render func(ctx context.Context) ([]byte, error), admins func(ctx context.Context, userIDs []string) ([]string, error),
	interval time.Duration, done <-chan struct{}) *adminFeed {
	return &adminFeed{render: render, admins: admins, interval: interval, done: done, subs: map[chan []byte]string{}}
}

// subscribe returns a channel of rendered live parts (only the latest is
// kept) for the administrator userID, and the func that ends the
// subscription. The channel is never closed; when the user is no longer
// an administrator it receives the revoked notice (adminRevokedHTML), and
// nothing after it.
func (f *adminFeed) subscribe(userID string) (<-chan []byte, func()) {
	ch := make(chan []byte, 1)
	f.mu.Lock()
	f.subs[ch] = userID
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

// subscribed reports whether the user has a subscription here.
func (f *adminFeed) subscribed(userID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.subs {
		if u == userID {
			return true
		}
	}
	return false
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
		if err != nil {
			cancel()
			slog.Warn("admin console refresh", "err", err)
			continue
		}
		// After the render: what it read is pushed only to those who are
		// administrators once it was read.
		err = f.keepAdmins(ctx)
		cancel()
		if err != nil {
			slog.Warn("admin console refresh: check the subscribers' role", "err", err)
			continue // nothing is pushed to a role that could not be checked
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

// keepAdmins drops the subscriptions of users who are no longer
// administrators, with the part they have not taken yet, and leaves in
// their place the notice that the role was withdrawn: the stream writes
// it as its last admin event. A stream that subscribes meanwhile was
// checked by its own request.
func (f *adminFeed) keepAdmins(ctx context.Context) error {
	f.mu.Lock()
	var users []string
	for _, u := range f.subs {
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	f.mu.Unlock()
	if len(users) == 0 {
		return nil
	}
	admins, err := f.admins(ctx, users)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch, u := range f.subs {
		if !slices.Contains(users, u) || slices.Contains(admins, u) {
			continue // subscribed since the read (as an administrator), or still one
		}
		delete(f.subs, ch)
		select {
		case <-ch:
		default:
		}
		select {
		case ch <- adminRevokedHTML():
		default: // (never: emptied above, and only this feed sends, under f.mu)
		}
	}
	return nil
}

// adminRevokedHTML is the admin event's data that tells a console the
// role was withdrawn.
var adminRevokedHTML = sync.OnceValue(func() []byte { return renderBytes(pages.AdminRevoked()) })

// adminLiveHTML renders the console's live part.
func (s *Server) adminLiveHTML(ctx context.Context) ([]byte, error) {
	vm, err := s.adminLiveVM(ctx)
	if err != nil {
		return nil, err
	}
	return renderBytes(pages.AdminLive(vm)), nil
}
