package events

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// DraftChannel is the NOTIFY channel of drafts: the display path, apart from
// the job events, so that draft traffic never queues behind or ahead of a
// claim or a cancel.
const DraftChannel = "dossier_drafts"

// maxDraftPayload keeps a NOTIFY payload under PostgreSQL's 8000 bytes.
const maxDraftPayload = 7800

// maxDraftQueue bounds the bytes waiting to be sent. Past it (the database
// is unreachable) the queue is dropped and, once sending works again, this
// instance's drafts are sent whole instead.
const maxDraftQueue = 4 << 20

// DraftBridge carries a DraftHub's drafts between instances through
// PostgreSQL NOTIFY, on two connections of its own: one LISTENs, one sends.
//
// Drafts must not cost the database what commits cost. A NOTIFY is a
// transaction: by default its commit waits for a WAL flush (about 4 ms
// here). The sending connection sets synchronous_commit = off, so a NOTIFY
// returns without waiting for the flush (losing one in a crash loses only a
// draft), and everything queued is sent as one statement, one transaction
// per batch: with every worker's drafts coalesced to five updates a second
// per document, a busy instance sends a few transactions a second.
type DraftBridge struct {
	url string
	h   *DraftHub
	log *slog.Logger

	// MinBackoff and MaxBackoff bound the reconnect delay. Defaults 100ms
	// and 5s.
	MinBackoff, MaxBackoff time.Duration

	mu       sync.Mutex
	queue    []Draft
	queued   int  // bytes of Delta in queue
	overflow bool // the queue was dropped: send local drafts whole
	wake     chan struct{}

	pid      atomic.Uint32
	sent     atomic.Int64 // NOTIFY payloads sent
	batches  atomic.Int64 // NOTIFY statements (transactions) sent
	received atomic.Int64

	startOnce, stopOnce sync.Once
	cancel              context.CancelFunc
	wg                  sync.WaitGroup
}

// NewDraftBridge builds a bridge for the hub on the PostgreSQL database at
// url; Start attaches it.
func NewDraftBridge(url string, h *DraftHub, logger *slog.Logger) *DraftBridge {
	if logger == nil {
		logger = slog.Default()
	}
	return &DraftBridge{url: url, h: h, log: logger, MinBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second, wake: make(chan struct{}, 1)}
}

// Start attaches the bridge and connects in the background; it returns at
// once. With drafts disabled it does nothing.
func (br *DraftBridge) Start(ctx context.Context) error {
	err := errors.New("events: draft bridge already started")
	br.startOnce.Do(func() {
		err = nil
		if !br.h.Enabled() {
			return
		}
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		br.cancel = cancel
		br.h.attach(br.send)
		br.wg.Add(3)
		go br.listen(ctx)
		go br.sender(ctx)
		go br.expire(ctx)
	})
	return err
}

// Stop detaches the bridge and closes its connections. It is safe to call
// twice, or before Start.
func (br *DraftBridge) Stop() {
	br.stopOnce.Do(func() {
		br.startOnce.Do(func() {})
		if br.cancel == nil {
			return
		}
		br.h.attach(nil)
		br.cancel()
		br.wg.Wait()
	})
}

// PID is the backend pid of the LISTEN connection, 0 while disconnected.
func (br *DraftBridge) PID() uint32 { return br.pid.Load() }

// Stats are the NOTIFY payloads and statements sent, and the payloads
// received.
func (br *DraftBridge) Stats() (sent, batches, received int64) {
	return br.sent.Load(), br.batches.Load(), br.received.Load()
}

// send queues d. Consecutive deltas of one draft merge. It never blocks.
func (br *DraftBridge) send(d Draft) {
	br.mu.Lock()
	if n := len(br.queue); n > 0 {
		last := &br.queue[n-1]
		if d.Op == DraftDelta && last.Op == DraftDelta && last.JobID == d.JobID && last.Type == d.Type &&
			last.Epoch == d.Epoch && last.Offset+len(last.Delta) == d.Offset {
			last.Delta += d.Delta
			br.queued += len(d.Delta)
			br.mu.Unlock()
			br.signal()
			return
		}
	}
	if br.queued+len(d.Delta) > maxDraftQueue {
		br.queue, br.queued, br.overflow = nil, 0, true
	}
	br.queue = append(br.queue, d)
	br.queued += len(d.Delta)
	br.mu.Unlock()
	br.signal()
}

func (br *DraftBridge) signal() {
	select {
	case br.wake <- struct{}{}:
	default:
	}
}

// take empties the queue into NOTIFY payloads, each under 8000 bytes.
func (br *DraftBridge) take() []string {
	br.mu.Lock()
	q, overflow := br.queue, br.overflow
	br.queue, br.queued, br.overflow = nil, 0, false
	br.mu.Unlock()
	if overflow {
		q = append(br.h.LocalDrafts(), q...)
	}
	var out []string
	for _, d := range q {
		out = appendPayloads(out, d)
	}
	return out
}

// appendPayloads encodes d, split into consecutive deltas at rune
// boundaries until each payload fits.
func appendPayloads(out []string, d Draft) []string {
	p, _ := json.Marshal(d)
	if len(p) <= maxDraftPayload || len(d.Delta) < 8 {
		return append(out, string(p))
	}
	mid := len(d.Delta) / 2
	for mid > 0 && !utf8.RuneStart(d.Delta[mid]) {
		mid--
	}
	a, b := d, d
	a.Delta, b.Delta, b.Offset = d.Delta[:mid], d.Delta[mid:], d.Offset+mid
	return appendPayloads(appendPayloads(out, a), b)
}

// requeue puts payloads that could not be sent back: they are dropped and
// the local drafts are sent whole once the connection is back.
func (br *DraftBridge) requeue() {
	br.mu.Lock()
	br.overflow = true
	br.mu.Unlock()
}

func (br *DraftBridge) sender(ctx context.Context) {
	defer br.wg.Done()
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	backoff := br.MinBackoff
	for {
		select {
		case <-ctx.Done():
			return
		case <-br.wake:
		}
		payloads := br.take()
		if len(payloads) == 0 {
			continue
		}
		err := func() error {
			if conn == nil || conn.IsClosed() {
				c, err := connectDraftSender(ctx, br.url)
				if err != nil {
					return err
				}
				conn = c
			}
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := conn.Exec(sctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, DraftChannel, payloads)
			return err
		}()
		if err != nil {
			if conn != nil {
				conn.Close(context.Background())
				conn = nil
			}
			if ctx.Err() != nil {
				return
			}
			br.requeue()
			br.log.Warn("events: draft notify", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, br.MaxBackoff)
			br.signal()
			continue
		}
		backoff = br.MinBackoff
		br.sent.Add(int64(len(payloads)))
		br.batches.Add(1)
	}
}

// connectDraftSender opens the sending connection: its NOTIFY transactions
// do not wait for the WAL flush.
func connectDraftSender(ctx context.Context, url string) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, `SET synchronous_commit = off`); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

func (br *DraftBridge) listen(ctx context.Context) {
	defer br.wg.Done()
	backoff := br.MinBackoff
	for ctx.Err() == nil {
		err := br.listenOnce(ctx, func() { backoff = br.MinBackoff })
		br.pid.Store(0)
		if ctx.Err() != nil {
			return
		}
		br.log.Warn("events: draft LISTEN connection lost; reconnecting", "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, br.MaxBackoff)
	}
}

// listenOnce LISTENs, asks every instance to resend its drafts whole (those
// sent while this one was away are lost), then feeds the hub.
func (br *DraftBridge) listenOnce(ctx context.Context, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, br.url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+DraftChannel); err != nil {
		return err
	}
	br.pid.Store(conn.PgConn().PID())
	connected()
	br.send(Draft{Op: DraftResend, Origin: br.h.Instance()})
	self := br.h.Instance()
	for {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
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
		var d Draft
		if err := json.Unmarshal([]byte(n.Payload), &d); err != nil {
			br.log.Warn("events: bad draft payload", "err", err)
			continue
		}
		if d.Origin == self {
			continue
		}
		br.received.Add(1)
		br.h.receive(d)
	}
}

// expire drops drafts whose worker went quiet.
func (br *DraftBridge) expire(ctx context.Context) {
	defer br.wg.Done()
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			br.h.Expire(now)
		}
	}
}
