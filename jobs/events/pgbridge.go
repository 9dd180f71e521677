package events

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the PostgreSQL NOTIFY channel the instances share.
const Channel = "dossier_events"

// Bridge carries a broker's events to the other instances through
// PostgreSQL LISTEN/NOTIFY. It owns two dedicated connections, outside the
// GORM pool: one that LISTENs, and one that sends. Sending is asynchronous
// and coalesced per job, so Publish never waits on the database. When the
// LISTEN connection drops, the bridge reconnects with backoff, LISTENs again,
// then asks the broker to reload every subscribed job: notifications sent
// while it was away are lost.
type Bridge struct {
	url string
	b   *Broker
	log *slog.Logger

	// MinBackoff and MaxBackoff bound the reconnect delay, which doubles
	// from one to the other. Set them before Start. Defaults 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// PingInterval is how long the listener waits for a notification before
	// it checks the connection is alive. Default 30s.
	PingInterval time.Duration

	mu      sync.Mutex
	out     map[string]Event // kind:job → latest event to send
	order   []string
	outWake chan struct{}

	pid     atomic.Uint32
	listens atomic.Int64

	startOnce sync.Once
	stopOnce  sync.Once
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// NewPGBridge builds a bridge for the broker on the PostgreSQL database at
// url; Start attaches it.
func NewPGBridge(url string, b *Broker, logger *slog.Logger) *Bridge {
	if logger == nil {
		logger = slog.Default()
	}
	return &Bridge{
		url: url, b: b, log: logger,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second, PingInterval: 30 * time.Second,
		out: map[string]Event{}, outWake: make(chan struct{}, 1),
	}
}

// Start attaches the bridge to the broker and connects in the background;
// it returns at once.
func (br *Bridge) Start(ctx context.Context) error {
	err := errors.New("events: bridge already started")
	br.startOnce.Do(func() {
		err = nil
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		br.cancel = cancel
		br.b.attach(br.send)
		br.wg.Add(2)
		go br.listen(ctx)
		go br.sender(ctx)
	})
	return err
}

// Stop detaches the bridge, sends what is still queued (briefly), and
// closes its connections. It is safe to call twice, or before Start.
func (br *Bridge) Stop() {
	br.stopOnce.Do(func() {
		br.startOnce.Do(func() {})
		if br.cancel == nil {
			return
		}
		br.b.attach(nil)
		br.cancel()
		br.wg.Wait()
	})
}

// PID is the backend pid of the LISTEN connection, 0 while disconnected.
func (br *Bridge) PID() uint32 { return br.pid.Load() }

// Listens counts the successful LISTENs: 1 after the first connect, one
// more after each reconnect.
func (br *Bridge) Listens() int64 { return br.listens.Load() }

// send queues ev for NOTIFY, coalescing it with an unsent event of the same
// job and kind. It never blocks.
func (br *Bridge) send(ev Event) {
	key := eventKey(ev)
	br.mu.Lock()
	if prev, ok := br.out[key]; ok {
		ev.Version = max(ev.Version, prev.Version)
	} else {
		br.order = append(br.order, key)
	}
	br.out[key] = ev
	br.mu.Unlock()
	select {
	case br.outWake <- struct{}{}:
	default:
	}
}

// takeOut removes and returns up to n queued events, oldest first.
func (br *Bridge) takeOut(n int) []Event {
	br.mu.Lock()
	defer br.mu.Unlock()
	n = min(n, len(br.order))
	evs := make([]Event, 0, n)
	for _, k := range br.order[:n] {
		evs = append(evs, br.out[k])
		delete(br.out, k)
	}
	br.order = append(br.order[:0:0], br.order[n:]...)
	return evs
}

// putBack requeues events whose NOTIFY failed, unless newer ones came.
func (br *Bridge) putBack(evs []Event) {
	br.mu.Lock()
	defer br.mu.Unlock()
	for _, ev := range evs {
		key := eventKey(ev)
		if _, ok := br.out[key]; ok {
			continue
		}
		br.out[key] = ev
		br.order = append(br.order, key)
	}
}

// eventKey is what unsent events coalesce by: the job, or the user for an
// event without a job.
func eventKey(ev Event) string {
	if ev.Kind == AccessEnded {
		return string(ev.Kind) + ":a:" + ev.Access // one per sign-in, never merged
	}
	if ev.JobID == "" {
		return string(ev.Kind) + ":u:" + ev.UserID
	}
	return string(ev.Kind) + ":" + ev.JobID
}

const notifyBatch = 200

// channelOf is the channel an event is sent on: the end of a sign-in is a
// command (streams to cut), kept off the display channel's bursts.
func channelOf(ev Event) string {
	if ev.Kind == AccessEnded {
		return ControlChannel
	}
	return Channel
}

// sender NOTIFYs queued events in batches: one statement per batch.
func (br *Bridge) sender(ctx context.Context) {
	defer br.wg.Done()
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	backoff := br.MinBackoff
	flush := func(ctx context.Context) error {
		for {
			evs := br.takeOut(notifyBatch)
			if len(evs) == 0 {
				return nil
			}
			channels, payloads := make([]string, len(evs)), make([]string, len(evs))
			for i, ev := range evs {
				p, _ := json.Marshal(ev) // ids and a version: far below 8000 bytes
				channels[i], payloads[i] = channelOf(ev), string(p)
			}
			err := func() error {
				if conn == nil || conn.IsClosed() {
					c, err := pgx.Connect(ctx, br.url)
					if err != nil {
						return err
					}
					conn = c
				}
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_, err := conn.Exec(sctx, `SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS t(c, p)`, channels, payloads)
				return err
			}()
			if err != nil {
				br.putBack(evs)
				if conn != nil {
					conn.Close(context.Background())
					conn = nil
				}
				return err
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := flush(fctx); err != nil {
				br.log.Warn("events: notify at stop", "err", err)
			}
			cancel()
			return
		case <-br.outWake:
		}
		if err := flush(ctx); err != nil {
			if ctx.Err() != nil {
				continue // the final flush above retries
			}
			br.log.Warn("events: notify", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				continue
			}
			backoff = min(backoff*2, br.MaxBackoff)
			select {
			case br.outWake <- struct{}{}:
			default:
			}
			continue
		}
		backoff = br.MinBackoff
	}
}

// listen keeps one connection LISTENing, reconnecting with backoff.
func (br *Bridge) listen(ctx context.Context) {
	defer br.wg.Done()
	backoff := br.MinBackoff
	for ctx.Err() == nil {
		err := br.listenOnce(ctx, func() { backoff = br.MinBackoff })
		br.pid.Store(0)
		if ctx.Err() != nil {
			return
		}
		br.log.Warn("events: LISTEN connection lost; reconnecting", "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, br.MaxBackoff)
	}
}

// listenOnce connects, LISTENs, resyncs, then feeds notifications to the
// broker until the connection fails.
func (br *Bridge) listenOnce(ctx context.Context, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, br.url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel+"; LISTEN "+ControlChannel); err != nil {
		return err
	}
	br.pid.Store(conn.PgConn().PID())
	br.listens.Add(1)
	connected()
	// Notifications sent while we were away are lost: re-read the state
	// of everything someone here is watching. LISTEN first, then read.
	if err := br.b.Resync(ctx); err != nil && ctx.Err() == nil {
		br.log.Warn("events: resync after LISTEN", "err", err)
	}
	self := br.b.Instance()
	for {
		wctx, cancel := context.WithTimeout(ctx, br.PingInterval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed() {
				pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = conn.Ping(pctx)
				cancel()
				if err == nil {
					continue
				}
			}
			return err
		}
		evs, err := decodePayload(n.Payload)
		if err != nil {
			br.log.Warn("events: bad notification payload", "payload", n.Payload, "err", err)
			continue
		}
		for _, ev := range evs {
			if ev.Origin != self {
				br.b.receive(ev)
			}
		}
	}
}

// sleep waits d, or less if ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
