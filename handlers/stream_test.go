package handlers

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/models/modelstest"
)

// Test plumbing for the live streams: a real listener, and a raw SSE client
// that speaks HTTP/1.1 over a TCP socket and parses events line by line.

// liveEnv is one running instance: database, broker, server and listener.
type liveEnv struct {
	t      *testing.T
	db     *models.DB
	broker *events.Broker
	bridge *events.Bridge
	srv    *Server
	app    *fiber.App
	addr   string

	user  *models.User
	token string
}

type liveOptions struct {
	heartbeat time.Duration
	// instance names the broker; bridge attaches a PostgreSQL bridge.
	instance string
	bridge   bool
	// idleWorkers bounds how long fasthttp keeps an idle worker goroutine.
	idleWorkers time.Duration
	// readTimeout is the server's ReadTimeout (default 30 s).
	readTimeout time.Duration
	// drafts is the server's draft hub (events_drafts_test.go).
	drafts *events.DraftHub
}

func newLiveEnv(t *testing.T, db *models.DB, o liveOptions) *liveEnv {
	t.Helper()
	e := &liveEnv{t: t, db: db}
	e.broker = events.NewBroker(events.Config{Loader: db.Snapshot, Sync: db.SyncSince, Board: db.JobBoard, Project: db.ProjectActivity, Instance: o.instance})
	require.NoError(t, e.broker.Start(context.Background()))
	if o.bridge {
		e.bridge = events.NewPGBridge(db.URL, e.broker, nil)
		e.bridge.MinBackoff = 300 * time.Millisecond
		require.NoError(t, e.bridge.Start(context.Background()))
		require.Eventually(t, func() bool { return e.bridge.PID() != 0 }, 10*time.Second, 5*time.Millisecond)
	}
	e.srv = NewServer(Config{Heartbeat: cmp.Or(o.heartbeat, time.Second), ReadTimeout: o.readTimeout, Drafts: o.drafts}, db, nil, e.broker, nil)
	e.app = e.srv.App()
	if o.idleWorkers > 0 {
		e.app.Server().MaxIdleWorkerDuration = o.idleWorkers
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e.addr = ln.Addr().String()
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = e.app.Listener(ln)
	}()
	t.Cleanup(func() {
		e.srv.CloseStreams()
		_ = e.app.ShutdownWithTimeout(5 * time.Second)
		<-served
		if e.bridge != nil {
			e.bridge.Stop()
		}
		e.broker.Stop()
	})
	return e
}

// signIn creates a user with an API token; the env's streams use it.
func (e *liveEnv) signIn(email string) (*models.User, string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.db.CreateUser(ctx, email, "Test "+email, "x")
	require.NoError(e.t, err)
	token, _, err := e.db.CreateAPIToken(ctx, u.ID, "test")
	require.NoError(e.t, err)
	if e.user == nil {
		e.user, e.token = u, token
	}
	return u, token
}

// newJob creates a project and a queued job of the given documents.
func (e *liveEnv) newJob(userID string, docs ...string) *models.Job {
	e.t.Helper()
	ctx := context.Background()
	p := &models.Project{UserID: userID, Name: "Website <relaunch>"}
	require.NoError(e.t, e.db.CreateProject(ctx, p))
	j, _, err := e.db.CreateJob(ctx, models.NewJob{UserID: userID, ProjectID: p.ID, Documents: docs, MaxRetries: 1})
	require.NoError(e.t, err)
	return j
}

// jobDriver moves a job through its states the way the processor does: a
// committed write, then a Publish.
type jobDriver struct {
	t      *testing.T
	db     *models.DB
	broker *events.Broker
	lease  models.Lease
	last   *models.Job
}

func (e *liveEnv) drive(j *models.Job) *jobDriver {
	return &jobDriver{t: e.t, db: e.db, broker: e.broker, last: j}
}

func (d *jobDriver) publish(j *models.Job) {
	d.last = j
	d.broker.Publish(events.Event{Kind: events.JobChanged, JobID: j.ID, UserID: j.UserID, Version: j.Version})
}

func (d *jobDriver) claim() {
	d.t.Helper()
	js, err := d.db.Claim(context.Background(), models.ClaimParams{Worker: "worker-1", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(d.t, err)
	require.Len(d.t, js, 1)
	d.lease = js[0].Lease()
	d.publish(&js[0].Job)
}

func (d *jobDriver) commit(docType, next string) {
	d.t.Helper()
	now := time.Now()
	eta := now.Add(2 * time.Minute)
	j, _, err := d.db.CommitDocument(context.Background(), d.lease, models.DocumentResult{
		Type: docType, Title: docType, Markdown: "# " + docType, Attempts: 1,
		StartedAt: now.Add(-1500 * time.Millisecond), FinishedAt: now, CurrentDocument: next, EstimatedCompletion: &eta,
	})
	require.NoError(d.t, err)
	d.publish(j)
}

func (d *jobDriver) finish(status string) {
	d.t.Helper()
	o := models.Outcome{Status: status, Now: time.Now()}
	if status == models.StatusCompleted || status == models.StatusFailed {
		o.Notify = "job_" + status
	}
	j, err := d.db.FinishJob(context.Background(), d.lease, o)
	require.NoError(d.t, err)
	d.publish(j)
}

// sseEvent is one parsed event, or a comment (the heartbeat).
type sseEvent struct {
	ID      string
	Name    string
	Data    string
	Comment string
	Retry   string
}

func (ev sseEvent) doc(t *testing.T) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(ev.Data))
	require.NoError(t, err)
	return d
}

func (ev sseEvent) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(ev.Data), &m), ev.Data)
	return m
}

// sseClient is a raw SSE client on a TCP connection. It starts no
// goroutine: reads happen in the test, each with a deadline.
type sseClient struct {
	t      *testing.T
	conn   net.Conn
	resp   *http.Response
	r      *bufio.Reader
	Status int
	Header http.Header
	Body   string // for a non-200 answer
	// jobJSON: a per-job stream in JSON, whose events are checked
	// against openapi.json (checkStreamEvent).
	jobJSON bool
}

func dialSSE(t *testing.T, addr, path, token string) *sseClient {
	t.Helper()
	return dialSSEWith(t, &net.Dialer{Timeout: 5 * time.Second}, addr, path, token)
}

func dialSSEWith(t *testing.T, d *net.Dialer, addr, path, token string, headers ...string) *sseClient {
	t.Helper()
	conn, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	for _, h := range headers {
		auth += h + "\r\n"
	}
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s\r\n", path, addr, auth)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	c := &sseClient{t: t, conn: conn, resp: resp, Status: resp.StatusCode, Header: resp.Header,
		jobJSON: strings.HasPrefix(path, "/api/generation/jobs/stream/") && strings.Contains(path, "format=json")}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		c.Body = string(b)
		conn.Close()
		return c
	}
	c.r = bufio.NewReader(resp.Body)
	return c
}

// next reads the next event or comment; io.EOF when the server ended the
// stream.
func (c *sseClient) next(within time.Duration) (sseEvent, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(within)); err != nil {
		return sseEvent{}, err
	}
	var ev sseEvent
	var data []string
	started := false
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return ev, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch {
		case line == "":
			if !started {
				continue
			}
			ev.Data = strings.Join(data, "\n")
			if c.jobJSON && ev.Name != "" {
				checkStreamEvent(c.t, ev.Name, []byte(ev.Data))
			}
			return ev, nil
		case strings.HasPrefix(line, ":"):
			ev.Comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event:"):
			ev.Name = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(line[len("data:"):], " "))
		case strings.HasPrefix(line, "id:"):
			ev.ID = strings.TrimSpace(line[len("id:"):])
		case strings.HasPrefix(line, "retry:"):
			ev.Retry = strings.TrimSpace(line[len("retry:"):])
		}
		started = true
	}
}

// event reads up to the next named event, skipping comments and the retry
// hint; it fails the test on a timeout or the end of the stream.
func (c *sseClient) event(within time.Duration) sseEvent {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ev, err := c.next(time.Until(deadline))
		require.NoError(c.t, err, "waiting for an event")
		if ev.Name != "" || ev.Data != "" {
			return ev
		}
	}
}

// batch reads the events up to and including the next sync event, which
// ends every batch of the user stream; it returns them and the position.
func (c *sseClient) batch(within time.Duration) ([]sseEvent, string) {
	c.t.Helper()
	var out []sseEvent
	for {
		ev := c.event(within)
		out = append(out, ev)
		if ev.Name == "sync" {
			require.Equal(c.t, ev.Data, ev.ID, "the sync event's id is its position")
			return out, ev.ID
		}
	}
}

// events reads n named events.
func (c *sseClient) events(n int, within time.Duration) []sseEvent {
	c.t.Helper()
	out := make([]sseEvent, n)
	for i := range out {
		out[i] = c.event(within)
	}
	return out
}

// expectEOF reads until the server ends the stream.
func (c *sseClient) expectEOF(within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ev, err := c.next(time.Until(deadline))
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(c.t, err, "waiting for the end of the stream")
		require.Empty(c.t, ev.Name, "no event after done, got %q", ev.Name)
	}
}

// drainToEOF reads whatever is left until the server ends the stream.
func (c *sseClient) drainToEOF(within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := c.next(time.Until(deadline))
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(c.t, err, "waiting for the end of the stream")
	}
}

func (c *sseClient) close() { c.conn.Close() }

func eventNames(evs []sseEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Name
	}
	return out
}

func liveSQLite(t *testing.T) *models.DB { return modelstest.Open(t, models.SQLite) }

func TestStreamHeadersAndRetryHint(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: time.Second})
	_, token := e.signIn("h@example.com")
	c := dialSSE(t, e.addr, "/events", token)
	require.Equal(t, http.StatusOK, c.Status)
	assert.Equal(t, "text/event-stream; charset=utf-8", c.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", c.Header.Get("Cache-Control"))
	assert.Equal(t, "no", c.Header.Get("X-Accel-Buffering"))
	assert.Empty(t, c.Header.Get("Content-Encoding"), "streams are never compressed")
	assert.Empty(t, c.Header.Get("ETag"))
	first, err := c.next(2 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, "3000", first.Retry, "the retry hint comes first")
}

// An event's name and id are one line each: the writer drops an event
// whose name or id holds a line break, which would end the field and write
// fields and events of its own; the events around it go out as ever. Data
// may hold line breaks: each line is a data line.
func TestTheWriterNeverLetsANameOrIDBreakItsLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, id, data, want string
	}{
		{"job-1", "", "<p>a</p>", "event: job-1\ndata: <p>a</p>\n\n"},
		{"sync", "7", "7", "id: 7\nevent: sync\ndata: 7\n\n"},
		{"", "", "a\r\nb\rc\nd", "data: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"runs-zz\nevent: announce\ndata: <img src=x>\n", "", "<p>runs</p>", ""},
		{"runs-zz\revent: announce", "", "x", ""},
		{"runs-zz\r\n", "", "x", ""},
		{"sync", "7\ndata: x", "7", ""},
		{"sync", "7\r", "7", ""},
		{"sync\n", "7", "7", ""},
	} {
		var out strings.Builder
		e := &sse{w: bufio.NewWriter(&out)}
		var err error
		if tc.id == "" {
			err = e.event(tc.name, []byte(tc.data))
		} else {
			err = e.eventWithID(tc.name, tc.id, []byte(tc.data))
		}
		require.NoError(t, err, "a dropped event does not end the stream")
		require.NoError(t, e.event("after", []byte("ok")))
		require.NoError(t, e.flush())
		assert.Equal(t, tc.want+"event: after\ndata: ok\n\n", out.String(), "name %q, id %q", tc.name, tc.id)
	}
}

func TestStreamRefusesAnonymousAndForeignJobs(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{})
	owner, _ := e.signIn("owner@example.com")
	_, otherToken := e.signIn("other@example.com")
	j := e.newJob(owner.ID, "project_charter")

	c := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID, otherToken)
	assert.Equal(t, http.StatusNotFound, c.Status)
	assert.Contains(t, c.Body, `"not_found"`)

	c = dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID, "")
	assert.Equal(t, http.StatusUnauthorized, c.Status)
	c = dialSSE(t, e.addr, "/events", "")
	assert.Equal(t, http.StatusUnauthorized, c.Status)
	c = dialSSE(t, e.addr, "/api/generation/jobs/stream/not-a-uuid", otherToken)
	assert.Equal(t, http.StatusNotFound, c.Status)
	assert.Equal(t, 0, e.broker.Subscribers(), "refused streams leave no subscription")
}

func TestHeartbeatsArriveWhileIdle(t *testing.T) {
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: 50 * time.Millisecond})
	u, token := e.signIn("idle@example.com")
	j := e.newJob(u.ID, "project_charter")
	c := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID, token)
	require.Equal(t, http.StatusOK, c.Status)
	assert.Equal(t, []string{"status", "progress"}, eventNames(c.events(2, 2*time.Second)))

	pings := 0
	for pings < 3 {
		ev, err := c.next(10 * time.Second)
		require.NoError(t, err, "a heartbeat every 50 ms, and none came")
		require.Empty(t, ev.Name, "nothing happens to the job")
		if ev.Comment == "ping" {
			pings++
		}
	}
}

// streamGoroutines counts the goroutines of open streams: the stream
// writers, and the server goroutines copying them to their sockets.
func streamGoroutines() int {
	count := 0
	for _, g := range goroutineStacks() {
		if strings.Contains(g, "fasthttp.(*Response).writeBodyStream") || strings.Contains(g, "handlers.(*Server).runStream") {
			count++
		}
	}
	return count
}

// goroutineStacks returns the stack of every goroutine, one per element.
func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Split(string(buf), "\n\n")
}

func TestDroppedStreamsLeaveNothingBehind(t *testing.T) {
	const heartbeat = 200 * time.Millisecond
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: heartbeat, idleWorkers: heartbeat / 4})
	u, token := e.signIn("leak@example.com")
	j := e.newJob(u.ID, "project_charter")

	// A first request starts fasthttp's process-wide date updater; let it
	// be part of the baseline.
	warm := dialSSE(t, e.addr, "/events", token)
	warm.event(5 * time.Second)
	warm.close()
	require.Eventually(t, func() bool { return e.broker.Subscribers() == 0 && streamGoroutines() == 0 }, 5*time.Second, time.Millisecond)
	baseline := runtime.NumGoroutine()
	const n = 200
	clients := make([]*sseClient, 0, n)
	for i := range n {
		path := "/events"
		if i%2 == 1 {
			path = "/api/generation/jobs/stream/" + j.ID
		}
		c := dialSSE(t, e.addr, path, token)
		require.Equal(t, http.StatusOK, c.Status)
		c.event(5 * time.Second) // connected and subscribed
		clients = append(clients, c)
	}
	require.Equal(t, n, e.broker.Subscribers())
	require.Equal(t, 2*n, streamGoroutines(), "each stream costs two goroutines")

	dropped := time.Now()
	for _, c := range clients {
		c.close()
	}
	deadline := dropped.Add(2 * heartbeat)
	for {
		subs, streams, total := e.broker.Subscribers(), streamGoroutines(), runtime.NumGoroutine()
		if subs == 0 && streams == 0 && total <= baseline {
			t.Logf("reaped %d streams in %v", n, time.Since(dropped))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d subscribers, %d stream goroutines, %d goroutines (baseline %d)",
				time.Since(dropped), subs, streams, total, baseline)
		}
		time.Sleep(5 * time.Millisecond) // polling, not synchronising
	}
}

func TestShutdownWithOpenStreamsIsPrompt(t *testing.T) {
	db := liveSQLite(t)
	e := newLiveEnv(t, db, liveOptions{heartbeat: 15 * time.Second})
	u, token := e.signIn("shutdown@example.com")
	j := e.newJob(u.ID, "project_charter")
	const n = 100
	clients := make([]*sseClient, n)
	for i := range clients {
		path := "/events"
		if i%2 == 1 {
			path = "/api/generation/jobs/stream/" + j.ID
		}
		clients[i] = dialSSE(t, e.addr, path, token)
		require.Equal(t, http.StatusOK, clients[i].Status)
		clients[i].event(5 * time.Second)
	}
	require.Equal(t, n, e.broker.Subscribers())

	// The shutdown's timeout is shorter than the heartbeat: it succeeds only
	// if the streams end when told to, not at their next write.
	e.srv.CloseStreams()
	require.NoError(t, e.app.ShutdownWithTimeout(10*time.Second), "shutdown waited for the open streams")
	for _, c := range clients {
		c.drainToEOF(5 * time.Second)
	}
	assert.Equal(t, 0, e.broker.Subscribers())
}

// post sends an empty POST with a bearer token and returns the status.
func (e *liveEnv) post(path, token string) int {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+e.addr+path, nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}
