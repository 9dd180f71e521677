package handlers

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// sessionStreams knows the open streams of each sign-in (a cookie session or
// an API token), so that its end ends them: otherwise a tab of the session
// that logged out in another, or a client whose token was revoked, keeps
// receiving the user's changes over its open stream until it is cut. Its
// next connection is refused (401), and the page goes to the login page
// (static/js/app.js, checkSession).
//
// Ends reach every instance through the broker (events.AccessEnded, a
// NOTIFY on the control channel carrying the session's or token's id, never
// the secret); each instance ends its own streams of that sign-in.
type sessionStreams struct {
	mu   sync.Mutex
	open map[string]map[chan struct{}]struct{} // access → its streams' end signals
	// ended remembers, for endedMemory, the sign-ins that ended: a stream
	// authorised just before an end and registered just after it (its
	// handler was loading the first state meanwhile) is then ended at
	// once. Ids are random and never reused, so remembering is safe.
	ended map[string]time.Time
}

// endedMemory is how long an ended sign-in is remembered: far longer than
// a stream takes from its authentication to its registration.
const endedMemory = time.Minute

func newSessionStreams() *sessionStreams {
	return &sessionStreams{open: map[string]map[chan struct{}]struct{}{}, ended: map[string]time.Time{}}
}

// sessionAccess and tokenAccess name a sign-in in the registry and in the
// announcements of its end: ids only, which grant nothing.
func sessionAccess(sessionID string) string { return "s:" + sessionID }
func tokenAccess(tokenID string) string     { return "t:" + tokenID }

// add registers a stream of the sign-in; it returns the channel closed when
// the sign-in ends (already closed if it has), and the function that
// unregisters the stream.
func (r *sessionStreams) add(access string) (<-chan struct{}, func()) {
	end := make(chan struct{})
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, gone := r.ended[access]; gone {
		close(end)
		return end, func() {}
	}
	if r.open[access] == nil {
		r.open[access] = map[chan struct{}]struct{}{}
	}
	r.open[access][end] = struct{}{}
	return end, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.open[access], end)
		if len(r.open[access]) == 0 {
			delete(r.open, access)
		}
	}
}

// end ends every open stream of the sign-in, and any registered later.
func (r *sessionStreams) end(access string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for end := range r.open[access] {
		close(end)
	}
	delete(r.open, access)
	for a, at := range r.ended {
		if now.Sub(at) > endedMemory {
			delete(r.ended, a)
		}
	}
	r.ended[access] = now
}

// accesses lists the sign-ins with open streams here.
func (r *sessionStreams) accesses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.open))
	for a := range r.open {
		out = append(out, a)
	}
	return out
}

// watchAccessEnds makes the ends of sign-ins announced by any instance end
// the streams here, and the bridge's reconnects check the open ones again.
// NewServer calls it, once.
func (s *Server) watchAccessEnds() {
	if s.broker == nil {
		return
	}
	s.broker.OnAccessEnded(s.sessionStreams.end)
	s.broker.OnResync(func() { go s.recheckAccess() })
}

// endAccess ends a sign-in's streams here and on every other instance.
func (s *Server) endAccess(access string) {
	s.sessionStreams.end(access)
	if s.broker != nil {
		s.broker.EndAccess(access) // the others' (and, again, ours: harmless)
	}
}

// streamAccess names the sign-in that authorised c, for the registry: the
// session, or the bearer token. ok is false when the token was revoked
// since the request was authenticated (or cannot be read): the stream is
// then ended at once.
func (s *Server) streamAccess(c *fiber.Ctx) (access string, ok bool) {
	if sess := currentSession(c); sess != nil {
		return sessionAccess(strings.Clone(sess.ID)), true
	}
	token, bearer := bearerToken(c.Get(fiber.HeaderAuthorization))
	if !bearer {
		return "", true // no sign-in to end (none of the streams allows it)
	}
	id, err := s.db.LiveAPITokenID(c.UserContext(), token)
	if err != nil {
		return "", false
	}
	return tokenAccess(id), true
}

// recheckAccess ends the streams of sign-ins that ended while their end
// could not be heard: the bridge's LISTEN connection was down, and the
// notifications of that time are lost. It runs after each reconnect.
func (s *Server) recheckAccess() {
	var sessions, tokens []string
	for _, a := range s.sessionStreams.accesses() {
		if id, ok := strings.CutPrefix(a, "s:"); ok {
			sessions = append(sessions, id)
		} else if id, ok := strings.CutPrefix(a, "t:"); ok {
			tokens = append(tokens, id)
		}
	}
	if len(sessions)+len(tokens) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	endGone := func(ids []string, live func(context.Context, []string) ([]string, error), access func(string) string) {
		for chunk := range slices.Chunk(ids, 500) { // within SQLite's bound on parameters
			kept, err := live(ctx, chunk)
			if err != nil {
				slog.Warn("sse: recheck sign-ins after reconnect", "err", err)
				return
			}
			for _, id := range chunk {
				if !slices.Contains(kept, id) {
					s.sessionStreams.end(access(id))
				}
			}
		}
	}
	endGone(sessions, s.db.LiveSessionIDs, sessionAccess)
	endGone(tokens, s.db.LiveAPITokenIDs, tokenAccess)
}
