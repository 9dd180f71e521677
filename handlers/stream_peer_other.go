//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package handlers

import "net"

// peerClosed cannot tell on this platform; a failed write still reaps the
// stream.
func peerClosed(net.Conn) bool { return false }
