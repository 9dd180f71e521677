//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package handlers

import (
	"errors"
	"net"
	"syscall"
)

// peerClosed reports whether the client closed its end of conn, without
// consuming anything: a non-blocking MSG_PEEK that reads 0 bytes means the
// peer sent FIN. fasthttp does not read from a connection while it streams a
// response, and a write to a half-closed socket succeeds once, so without
// this a dropped stream would be noticed only after a second failed write.
// It answers false when it cannot tell (TLS, or an unusual net.Conn).
func peerClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
		default:
			closed = true // reset, or otherwise broken
		}
		return true // never wait for readability
	})
	// An error here is about the Go-level conn (fasthttp's read deadline
	// from ReadTimeout has passed, say), not about the peer: it can't tell.
	return err == nil && closed
}
