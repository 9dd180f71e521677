package handlers

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/events"
)

// SSE plumbing for Fiber v2 (fasthttp). The traps, from PITFALLS.md:
//   - fiber.Ctx is recycled once the handler returns, and the stream writer
//     runs after that: everything the writer needs is copied out first.
//   - fasthttp never reports a client that went away; only a failed write or
//     flush does, and a write to a socket the client closed succeeds once.
//     Hence the heartbeat, a return on any write error, and a peek at the
//     socket before each heartbeat (peerClosed), which sees a client's FIN
//     at once.
//   - app.Shutdown waits for stream writers: they all end on s.done.

// retryMillis is the reconnect delay the browser's EventSource uses.
const retryMillis = 3000

// writeTimeout is how long a client may leave its socket full before its
// stream is dropped: twice the heartbeat, within [1s, 10s], so that a stuck
// client neither lingers nor holds up a graceful shutdown.
func writeTimeout(heartbeat time.Duration) time.Duration {
	return min(max(2*heartbeat, time.Second), 10*time.Second)
}

// sse writes Server-Sent Events to a stream writer.
type sse struct {
	w       *bufio.Writer
	conn    net.Conn
	timeout time.Duration
}

// event writes one named event; data may span lines, each becoming its own
// data: line. It buffers; call flush.
func (e *sse) event(name string, data []byte) error {
	if !fieldsFit(name, "") {
		return nil
	}
	if name != "" {
		e.w.WriteString("event: ")
		e.w.WriteString(name)
		e.w.WriteByte('\n')
	}
	// EventSource ends a line at \r\n, \n or a lone \r: normalise them all,
	// so that no text in the data can start a field of its own.
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte{'\n'})
	data = bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
	for {
		line, rest, more := bytes.Cut(data, []byte{'\n'})
		e.w.WriteString("data: ")
		e.w.Write(line)
		e.w.WriteByte('\n')
		if !more {
			break
		}
		data = rest
	}
	_, err := e.w.WriteString("\n")
	return err
}

// eventWithID writes one named event with an id: the browser's
// Last-Event-ID from then on.
func (e *sse) eventWithID(name, id string, data []byte) error {
	if !fieldsFit(name, id) {
		return nil
	}
	e.w.WriteString("id: " + id + "\n")
	return e.event(name, data)
}

// fieldsFit reports whether an event's name and id fit on their field's
// line. Unlike data, they cannot be split: a line break in one would end
// the field and let the rest write fields and events of its own. None
// should get here (views are checked, ids are positions); one that does is
// a bug, logged, and its event is dropped rather than the stream ended,
// which the browser would reconnect to the same URL and the same event.
func fieldsFit(name, id string) bool {
	if !strings.ContainsAny(name, "\r\n") && !strings.ContainsAny(id, "\r\n") {
		return true
	}
	slog.Error("sse event dropped: a line break in its name or id", "event", name, "id", id)
	return false
}

// comment writes a comment line, which clients ignore: the heartbeat.
func (e *sse) comment(text string) error {
	_, err := e.w.WriteString(": " + text + "\n\n")
	return err
}

// flush sends what is buffered; its error is how a gone client shows.
func (e *sse) flush() error {
	if e.conn != nil {
		e.conn.SetWriteDeadline(time.Now().Add(e.timeout))
	}
	return e.w.Flush()
}

// stream is what one SSE response does, built by a handler from values it
// copied out of the fiber.Ctx. None of its funcs may touch the Ctx or the
// database.
type stream struct {
	// sub delivers the updates; the stream closes it when it ends.
	sub *events.Subscription
	// start writes the current state, loaded before the stream began.
	start func(e *sse) (done bool, err error)
	// apply writes what the job updates changed; done ends the stream.
	apply func(e *sse, ups []events.Update) (done bool, err error)
	// applySync writes what a user's sync update changed (user
	// subscriptions).
	applySync func(e *sse, up *events.SyncUpdate) (done bool, err error)
	// closed runs when the stream ends, whatever the reason.
	closed func()
	// admin, for administrators, delivers the console's live part, sent
	// as the admin event; nil for everyone else.
	admin <-chan []byte
	// drafts, if set, streams the job's drafts alongside (drafts.go,
	// events_drafts.go).
	drafts draftFeed
}

// runStream sets the SSE headers and hands st to fasthttp's stream writer.
// The writer sends the retry hint and the current state, then the updates as
// they come, and a heartbeat comment every s.cfg.Heartbeat; it returns on
// the first failed write, when st says it is done, or at shutdown.
func (s *Server) runStream(c *fiber.Ctx, st stream) error {
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderConnection, "keep-alive")
	c.Set("X-Accel-Buffering", "no")
	c.Status(fiber.StatusOK)

	heartbeat, shutdown, conn := s.cfg.Heartbeat, s.done, c.Context().Conn()
	// The stream ends with the sign-in that authorised it: a logout or an
	// expiry of its session, a revocation of its token, on any instance
	// (NewServer's watchAccessEnds).
	var signedOut <-chan struct{}
	forget := func() {}
	switch access, ok := s.streamAccess(c); {
	case !ok: // the token was revoked since the request was authenticated
		gone := make(chan struct{})
		close(gone)
		signedOut = gone
	case access != "":
		signedOut, forget = s.sessionStreams.add(access)
	}
	var expiresAt time.Time // zero for a token: it does not expire
	if sess := currentSession(c); sess != nil {
		expiresAt = sess.ExpiresAt
	}
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer forget()
		defer func() {
			if r := recover(); r != nil {
				slog.Error("sse stream panicked", "panic", r, "stack", string(debug.Stack()))
			}
		}()
		defer st.sub.Close()
		var drafted <-chan struct{}
		if st.drafts != nil {
			defer st.drafts.close()
			drafted = st.drafts.ready()
		}
		if st.closed != nil {
			defer st.closed()
		}
		// A client that stops reading fills its socket; the write deadline
		// set at each flush makes fasthttp's blocked write fail, which
		// closes our pipe and unblocks the flush. It is cleared only when
		// the stream ends cleanly, so that the kept-alive connection does
		// not inherit it; at shutdown it still bounds a stuck write.
		e := &sse{w: w, conn: conn, timeout: writeTimeout(heartbeat)}
		clean := false
		defer func() {
			if clean && conn != nil {
				conn.SetWriteDeadline(time.Time{})
			}
		}()
		var expired <-chan time.Time
		if !expiresAt.IsZero() {
			t := time.NewTimer(time.Until(expiresAt))
			defer t.Stop()
			expired = t.C
		}
		// over reports whether the stream must end without writing more:
		// checked before the first state and at each turn of the loop, since
		// a select that finds an update and the end both ready may take
		// either.
		over := func() bool {
			select {
			case <-shutdown:
				return true
			case <-signedOut:
				return true
			default:
				return !expiresAt.IsZero() && !time.Now().Before(expiresAt)
			}
		}
		if over() {
			return
		}
		// fasthttp leaves ReadTimeout's deadline on the connection; once
		// it has passed, the peer probe cannot read the socket and answers
		// "alive". Nothing reads the connection while it streams, and
		// fasthttp sets a new deadline before it reads the next request.
		if conn != nil {
			conn.SetReadDeadline(time.Time{})
		}
		e.w.WriteString("retry: " + strconv.Itoa(retryMillis) + "\n\n")
		done, err := st.start(e)
		if err != nil || e.flush() != nil {
			return
		}
		if done {
			clean = true
			return
		}
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			if over() {
				return
			}
			select {
			case <-shutdown:
				return
			case <-signedOut:
				return
			case <-expired:
				return
			case <-tick.C:
				if peerClosed(conn) || e.comment("ping") != nil || e.flush() != nil {
					return
				}
			case data := <-st.admin:
				if e.event("admin", data) != nil || e.flush() != nil {
					return
				}
			case <-drafted:
				if st.drafts.apply(e) != nil || e.flush() != nil {
					return
				}
			case <-st.sub.Ready():
				var done bool
				var err error
				if ups := st.sub.Take(); len(ups) > 0 && st.apply != nil {
					done, err = st.apply(e, ups)
				}
				if st.applySync != nil && err == nil && !done {
					if up := st.sub.TakeSync(); up != nil {
						done, err = st.applySync(e, up)
					}
				}
				if err != nil || e.flush() != nil {
					return
				}
				if done {
					clean = true
					return
				}
			}
		}
	})
	return nil
}
