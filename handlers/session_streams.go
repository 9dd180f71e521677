package handlers

import "sync"

// sessionStreams knows the open streams of each session, so that a logout
// ends them: otherwise a tab of the session that logged out in another
// keeps receiving the user's changes over its open stream until it is cut.
// Its next connection is refused (401), and the page goes to the login
// page (static/js/app.js, checkSession).
type sessionStreams struct {
	mu   sync.Mutex
	open map[string]map[chan struct{}]struct{} // session id → its streams' end signals
}

func newSessionStreams() *sessionStreams {
	return &sessionStreams{open: map[string]map[chan struct{}]struct{}{}}
}

// add registers a stream of the session; it returns the channel closed when
// the session ends, and the function that unregisters the stream.
func (r *sessionStreams) add(session string) (<-chan struct{}, func()) {
	end := make(chan struct{})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open[session] == nil {
		r.open[session] = map[chan struct{}]struct{}{}
	}
	r.open[session][end] = struct{}{}
	return end, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.open[session], end)
		if len(r.open[session]) == 0 {
			delete(r.open, session)
		}
	}
}

// end ends every open stream of the session.
func (r *sessionStreams) end(session string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for end := range r.open[session] {
		close(end)
	}
	delete(r.open, session)
}
