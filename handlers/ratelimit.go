package handlers

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// windowLimiter counts events per key in fixed windows: at most max per
// window. Log-in counts its attempts per account and per client address
// with two of them, and hands back the attempts that succeed, so that only
// failures use up the budget.
type windowLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	hits  map[string]*windowCount
	swept time.Time
}

type windowCount struct {
	n     int
	reset time.Time
}

func newWindowLimiter(max int, window time.Duration) *windowLimiter {
	return &windowLimiter{max: max, window: window, now: time.Now, hits: map[string]*windowCount{}}
}

// take counts one event for key if key is under its limit. Otherwise it
// counts nothing and says how long until the window ends. Taking before the
// work (rather than counting failures after it) keeps parallel requests from
// all slipping under the limit together.
func (l *windowLimiter) take(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	w := l.hits[key]
	if w == nil || !now.Before(w.reset) {
		w = &windowCount{reset: now.Add(l.window)}
		l.hits[key] = w
	}
	if w.n >= l.max {
		return false, w.reset.Sub(now)
	}
	w.n++
	return true, 0
}

// giveBack returns an event taken for key (a login that succeeded).
func (l *windowLimiter) giveBack(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.hits[key]; w != nil && w.n > 0 {
		w.n--
	}
}

// sweep drops ended windows, at most once per window, so that the map holds
// only the keys seen in the last window or two.
func (l *windowLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.window {
		return
	}
	l.swept = now
	for k, w := range l.hits {
		if !now.Before(w.reset) {
			delete(l.hits, k)
		}
	}
}

// rateLimited is the 429 answer, with Retry-After in whole seconds.
func rateLimited(c *fiber.Ctx, retryAfter time.Duration) error {
	secs := int((retryAfter + time.Second - 1) / time.Second)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(secs, 1)))
	return &Error{Status: fiber.StatusTooManyRequests, Code: "rate_limited", Message: "too many attempts; wait a minute and try again"}
}

// clientIP is the address of the client: the peer's, unless the peer is one
// of TRUSTED_PROXIES. Then X-Forwarded-For is read from the right (each
// proxy appends the address it saw), skipping trusted proxies: the first
// address that is not one is the client. Addresses left of it were written
// by the client itself and are never believed.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	return clientAddr(peer, c.Request().Header.PeekAll(fiber.HeaderXForwardedFor), s.trustedProxy).String()
}

// clientAddr is clientIP's rule: peer is the connection's address, xff the
// X-Forwarded-For headers in order.
func clientAddr(peer netip.Addr, xff [][]byte, trusted func(netip.Addr) bool) netip.Addr {
	addr := peer.Unmap()
	if !trusted(addr) {
		return addr
	}
	for i := len(xff) - 1; i >= 0; i-- {
		hops := strings.Split(string(xff[i]), ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop, ok := parseHop(hops[j])
			if !ok {
				return addr // garbage: the last address we can vouch for
			}
			if !trusted(hop) {
				return hop
			}
			addr = hop
		}
	}
	return addr
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func proxyStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
