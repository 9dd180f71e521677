package handlers

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := func(a netip.Addr) bool {
		return netip.MustParsePrefix("10.0.0.0/8").Contains(a) || a == netip.MustParseAddr("127.0.0.1")
	}
	for _, tc := range []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"direct client, header ignored", "203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},
		{"direct client, no header", "203.0.113.9", nil, "203.0.113.9"},
		{"one proxy", "127.0.0.1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own entry is not believed", "127.0.0.1", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "127.0.0.1", []string{"198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"several headers", "127.0.0.1", []string{"1.2.3.4", "198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"entry with a port", "127.0.0.1", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 client", "127.0.0.1", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer", "::ffff:127.0.0.1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"garbage stops at the last trusted hop", "127.0.0.1", []string{"198.51.100.1, unknown, 10.1.2.3"}, "10.1.2.3"},
		{"proxy without a header", "127.0.0.1", nil, "127.0.0.1"},
		{"only trusted hops", "127.0.0.1", []string{"10.9.9.9"}, "10.9.9.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var xff [][]byte
			for _, v := range tc.xff {
				xff = append(xff, []byte(v))
			}
			assert.Equal(t, tc.want, clientAddr(netip.MustParseAddr(tc.peer), xff, trusted).String())
		})
	}
}

// browser posts forms to a real listener (so the peer address is real:
// 127.0.0.1) and does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func (b *bundle) browser(t *testing.T) *browser {
	return &browser{t: t, base: b.listen(t), http: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// login posts the log-in form; xff, when set, is the X-Forwarded-For header.
func (br *browser) login(email, password, xff string) *http.Response {
	br.t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	req, err := http.NewRequest(http.MethodPost, br.base+"/login", strings.NewReader(form.Encode()))
	require.NoError(br.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := br.http.Do(req)
	require.NoError(br.t, err)
	resp.Body.Close()
	return resp
}

func localProxy(c *Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// Successful log-ins cost nothing: a busy office behind one address logs in
// as often as it likes, and failures still have their full budget.
func TestLoginSuccessesNotCounted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		const limit = 3
		b := setup(t, d, func(c *Config) { c.LoginRate = limit })
		email := uniqueEmail("ok")
		b.signup(t, email, "Olu", testPassword)
		br := b.browser(t)
		for i := range 3 * limit {
			require.Equal(t, http.StatusSeeOther, br.login(email, testPassword, "").StatusCode, "log-in %d", i+1)
		}
		for i := range limit {
			require.Equal(t, http.StatusUnauthorized, br.login(email, "wrong password", "").StatusCode, "failure %d", i+1)
		}
		resp := br.login(email, "wrong password", "")
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	})
}

// Behind the proxy, each client has its own budget (read from the right of
// X-Forwarded-For); a client cannot buy a fresh one by writing the header
// itself, and without TRUSTED_PROXIES the header is ignored.
func TestLoginLimitPerClientAddress(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		const limit = 2
		t.Run("behind a trusted proxy", func(t *testing.T) {
			b := setup(t, d, localProxy, func(c *Config) { c.LoginRate = limit })
			br := b.browser(t)
			for i := range limit {
				require.Equal(t, http.StatusUnauthorized, br.login(uniqueEmail("x"), "wrong password", "198.51.100.1").StatusCode, "failure %d", i+1)
			}
			assert.Equal(t, http.StatusTooManyRequests, br.login(uniqueEmail("x"), "wrong password", "198.51.100.1").StatusCode)
			// The client forges an entry; the proxy appends the real address.
			assert.Equal(t, http.StatusTooManyRequests, br.login(uniqueEmail("x"), "wrong password", "203.0.113.77, 198.51.100.1").StatusCode)
			// Another client behind the same proxy is not affected.
			assert.Equal(t, http.StatusUnauthorized, br.login(uniqueEmail("y"), "wrong password", "198.51.100.2").StatusCode)
		})
		t.Run("untrusted peer", func(t *testing.T) {
			b := setup(t, d, func(c *Config) { c.LoginRate = limit })
			br := b.browser(t)
			for i := range limit {
				require.Equal(t, http.StatusUnauthorized, br.login(uniqueEmail("x"), "wrong password", "198.51.100."+string(rune('1'+i))).StatusCode)
			}
			assert.Equal(t, http.StatusTooManyRequests, br.login(uniqueEmail("x"), "wrong password", "198.51.100.9").StatusCode)
		})
	})
}

// Guessing one account's password from many addresses stops at the
// account's budget; other accounts are not affected.
func TestLoginLimitPerAccount(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		const limit = 3
		b := setup(t, d, localProxy, func(c *Config) { c.LoginAccountRate = limit; c.LoginRate = 100 })
		victim, other := uniqueEmail("victim"), uniqueEmail("other")
		b.signup(t, victim, "Vic", testPassword)
		b.signup(t, other, "Oth", testPassword)
		br := b.browser(t)
		for i := range limit {
			require.Equal(t, http.StatusUnauthorized, br.login(victim, "guess", "203.0.113."+string(rune('1'+i))).StatusCode, "guess %d", i+1)
		}
		resp := br.login(strings.ToUpper(victim), "guess", "203.0.113.9")
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "a new address, the same account")
		assert.Equal(t, http.StatusTooManyRequests, br.login(victim, testPassword, "203.0.113.10").StatusCode, "even the right password waits")
		assert.Equal(t, http.StatusSeeOther, br.login(other, testPassword, "203.0.113.9").StatusCode, "another account")
		assert.Equal(t, http.StatusUnauthorized, br.login(other, "typo", "203.0.113.9").StatusCode, "another account's failure")
	})
}

func TestWindowLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	l := newWindowLimiter(2, time.Minute)
	l.now = func() time.Time { return now }
	ok, _ := l.take("a")
	require.True(t, ok)
	ok, _ = l.take("a")
	require.True(t, ok)
	ok, wait := l.take("a")
	require.False(t, ok)
	assert.Equal(t, time.Minute, wait)
	ok, _ = l.take("b")
	assert.True(t, ok, "keys are separate")
	l.giveBack("a")
	ok, _ = l.take("a")
	assert.True(t, ok, "a given-back event frees its place")
	now = now.Add(time.Minute)
	ok, _ = l.take("a")
	assert.True(t, ok, "a new window")
	l.mu.Lock()
	assert.NotContains(t, l.hits, "b", "ended windows are swept")
	l.mu.Unlock()
}

// Job creation is limited per user, not per address: colleagues behind one
// proxy don't share a budget.
func TestJobCreateLimitPerUser(t *testing.T) {
	b := setup(t, models.SQLite, func(c *Config) { c.JobCreateRate = 2 })
	a, other := b.apiClient(t), b.apiClient(t)
	for i := range 2 {
		resp := a.postJSON(t, "/api/generation/jobs", `{"projectId":"no-such-project"}`)
		require.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode, "request %d", i+1)
	}
	resp := a.postJSON(t, "/api/generation/jobs", `{"projectId":"no-such-project"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "rate_limited", errorOf(t, resp).Error.Code)
	resp = other.postJSON(t, "/api/generation/jobs", `{"projectId":"no-such-project"}`)
	assert.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode, "another user")
}

// The budget is one per user across every route that creates a job: each
// route used to build a limiter of its own, so a user spent 30 a minute on
// the API and 30 more on each form.
func TestJobCreateLimitIsOneBudgetAcrossRoutes(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil, func(c *Config) { c.JobCreateRate = 1 })
	c := b.user(t)
	p1, p2 := c.project(t, "One"), c.project(t, "Two")
	require.Equal(t, http.StatusAccepted, c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p1.ID}).StatusCode)
	for _, path := range []string{"/projects/" + p2.ID + "/generate", "/projects/" + p2.ID + "/documents/project_charter/regenerate"} {
		resp := c.postForm(t, path, url.Values{"documents": {"risk_register"}})
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, path)
	}
	resp := c.postJSON(t, "/api/generation/jobs", map[string]any{"projectId": p2.ID})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	jobs, err := b.db.Jobs(context.Background(), c.user.ID, models.JobFilter{})
	require.NoError(t, err)
	assert.Equal(t, 1, len(jobs), "only the first request made a job")
}
