//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package handlers

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dossier/models"
)

// tinyReadBuffer dials with a small receive buffer, so that a client that
// stops reading fills it quickly.
func tinyReadBuffer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048)
		})
	}}
}

// A client that stops reading blocks only its own stream: while two stuck
// clients' streams are blocked writing to their full sockets, another
// client receives every document. Asserted on state (the stuck streams
// are blocked, and still subscribed, when the reader gets each event),
// not on how long anything took.
func TestAClientThatNeverReadsDoesNotDelayAnother(t *testing.T) {
	// A long heartbeat makes the write timeout that reaps a stuck stream
	// long (2 heartbeats, at most 10 s), so the stuck streams stay blocked
	// while the reader is watched.
	const heartbeat = 5 * time.Second
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: heartbeat})
	u, token := e.signIn("slow@example.com")
	// Documents with long names make each event big, so that the stuck
	// clients' sockets fill up quickly.
	docs := make([]string, 60)
	for i := range docs {
		docs[i] = fmt.Sprintf("document_%02d_%s", i, strings.Repeat("x", 1000))
	}
	j := e.newJob(u.ID, docs...)

	// The stuck clients: connected, then never read again.
	var stuck []*sseClient
	for _, path := range []string{"/api/generation/jobs/stream/" + j.ID, "/events"} {
		c := dialSSEWith(t, tinyReadBuffer(), e.addr, path, token)
		require.Equal(t, http.StatusOK, c.Status)
		stuck = append(stuck, c)
	}
	reader := dialSSE(t, e.addr, "/api/generation/jobs/stream/"+j.ID+"?format=json", token)
	require.Equal(t, http.StatusOK, reader.Status)
	reader.events(2, 10*time.Second)
	require.Equal(t, 3, e.broker.Subscribers())

	d := e.drive(j)
	d.claim()
	done := 0
	commit := func() {
		t.Helper()
		next := ""
		if done+1 < len(docs) {
			next = docs[done+1]
		}
		d.commit(docs[done], next)
		done++
		for {
			ev := reader.event(10 * time.Second)
			if ev.Name == "progress" && int(ev.json(t)["completedDocuments"].(float64)) == done {
				return
			}
		}
	}
	// Fill the stuck clients' sockets: commit documents until both stuck
	// streams are blocked in a write. The reader keeps up all along.
	for blockedStreamWrites() < 2 {
		require.Less(t, done, len(docs)-10, "the stuck clients' sockets never filled")
		commit()
	}
	t.Logf("the stuck streams blocked after %d documents", done)
	// While they stay blocked, the reader receives every later document.
	for range 10 {
		commit()
		require.GreaterOrEqual(t, blockedStreamWrites(), 2, "document %d: a stuck stream stopped being blocked (reaped by the write timeout?)", done)
		require.Equal(t, 3, e.broker.Subscribers(), "document %d: the stuck streams are still subscribed", done)
	}
	for _, c := range stuck {
		c.close()
	}
	// Dropped, the stuck streams' blocked writes fail and nothing is left.
	require.Eventually(t, func() bool { return e.broker.Subscribers() == 1 && blockedStreamWrites() == 0 },
		writeTimeout(heartbeat)+5*time.Second, 10*time.Millisecond)
	for done < len(docs) {
		commit()
	}
	d.finish(models.StatusCompleted)
	for reader.event(10*time.Second).Name != "done" {
	}
	require.Eventually(t, func() bool { return e.broker.Subscribers() == 0 && streamGoroutines() == 0 },
		10*time.Second, 10*time.Millisecond)
}

// blockedStreamWrites counts the streams whose socket write is blocked: the
// client stopped reading and its socket is full.
func blockedStreamWrites() int {
	count := 0
	for _, g := range goroutineStacks() {
		if strings.Contains(g, "fasthttp.(*Response).writeBodyStream") && strings.Contains(g, "waitWrite") {
			count++
		}
	}
	return count
}

// Issue 9, must show 6: a stream held for longer than the HTTP read
// timeout, then dropped by its client, is reaped within two heartbeats: the
// read deadline fasthttp left on the connection is cleared when the stream
// starts, so the peer probe sees the client's FIN.
func TestAnOldDroppedStreamIsReapedWithinTwoHeartbeats(t *testing.T) {
	const heartbeat = 300 * time.Millisecond
	e := newLiveEnv(t, liveSQLite(t), liveOptions{heartbeat: heartbeat, readTimeout: 200 * time.Millisecond})
	_, token := e.signIn("old-stream@example.com")
	require.Zero(t, streamGoroutines())
	for _, path := range []string{"/events", "/api/generation/jobs/stream/" + e.newJob(e.user.ID, "project_charter").ID} {
		c := dialSSE(t, e.addr, path, token)
		require.Equal(t, http.StatusOK, c.Status)
		// Hold the stream well past the read timeout, hearing heartbeats.
		held := time.Now()
		for time.Since(held) < 4*200*time.Millisecond {
			_, err := c.next(2 * heartbeat)
			require.NoError(t, err)
		}
		require.Equal(t, 1, e.broker.Subscribers())
		c.close()
		dropped := time.Now()
		require.Eventually(t, func() bool { return streamGoroutines() == 0 && e.broker.Subscribers() == 0 },
			2*heartbeat, 5*time.Millisecond, "%s: the dropped stream still runs", path)
		t.Logf("%s reaped %v after the drop", path, time.Since(dropped).Round(time.Millisecond))
	}
}

// A read deadline that has passed (fasthttp sets one from ReadTimeout) says
// nothing about the peer: an idle stream must survive it.
func TestPeerClosedIgnoresExpiredReadDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	server.SetReadDeadline(time.Now().Add(-time.Second))
	if peerClosed(server) {
		t.Fatal("an open connection with an expired read deadline was reported closed")
	}
	client.Close()
	server.SetReadDeadline(time.Time{})
	deadline := time.Now().Add(5 * time.Second)
	for !peerClosed(server) {
		if time.Now().After(deadline) {
			t.Fatal("a closed peer was not detected")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
