package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"dossier/jobs/events"
	"dossier/models"
	"dossier/models/modelstest"
)

// bundle is one app on a fresh, migrated database.
type bundle struct {
	db     *models.DB
	server *Server
	app    *fiber.App
}

// setup builds the app on a fresh database of the dialect. opts adjust the
// handler config (rate limits, body limit). Tests that need the processor or
// a generator build their own server; these handlers need neither.
func setup(t *testing.T, d models.Dialect, opts ...func(*Config)) *bundle {
	t.Helper()
	db := modelstest.Open(t, d)
	cfg := Config{SessionTTL: time.Hour, Heartbeat: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	broker := events.NewBroker(events.Config{Loader: db.Snapshot})
	s := NewServer(cfg, db, nil, broker, nil)
	t.Cleanup(s.CloseStreams)
	return &bundle{db: db, server: s, app: s.App()}
}

// forEachDialect runs fn as a subtest per database: SQLite, and PostgreSQL
// when TEST_DATABASE_URL is set.
func forEachDialect(t *testing.T, fn func(t *testing.T, d models.Dialect)) {
	t.Helper()
	for _, d := range modelstest.Dialects(t) {
		t.Run(modelstest.Name(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// testPassword is every test user's password; hashing it once keeps the
// suite fast (argon2id costs 64 MiB and tens of milliseconds a hash).
const testPassword = "correct horse battery"

var testHash = sync.OnceValue(func() string {
	h, err := HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

var userSeq atomic.Int64

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s%d@example.com", prefix, userSeq.Add(1))
}

// client is someone using the app: a browser with a session cookie and its
// CSRF token, or a script with a bearer token, or nobody at all.
type client struct {
	b      *bundle
	user   *models.User
	cookie string
	csrf   string
	token  string
}

// anon is a visitor who is not signed in.
func (b *bundle) anon() *client { return &client{b: b} }

// user creates an account and a session directly in the database: the fast
// path for tests that are not about signing up.
func (b *bundle) user(t *testing.T) *client {
	t.Helper()
	ctx := context.Background()
	u, err := b.db.CreateUser(ctx, uniqueEmail("user"), "Test User", testHash())
	require.NoError(t, err)
	cookie, sess, err := b.db.CreateSession(ctx, u.ID, time.Hour)
	require.NoError(t, err)
	return &client{b: b, user: u, cookie: cookie, csrf: sess.CSRFToken}
}

// signup signs up through the form, as a browser does, and returns the
// signed-in client.
func (b *bundle) signup(t *testing.T, email, name, password string) *client {
	t.Helper()
	resp := b.anon().postForm(t, "/signup", url.Values{"email": {email}, "name": {name}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "sign-up should redirect")
	cookie := sessionCookieOf(t, resp)
	require.NotEmpty(t, cookie, "sign-up should set the session cookie")
	sess, u, err := b.db.SessionByCookie(context.Background(), cookie)
	require.NoError(t, err)
	return &client{b: b, user: u, cookie: cookie, csrf: sess.CSRFToken}
}

// apiClient is a user with a personal API token and no cookie.
func (b *bundle) apiClient(t *testing.T) *client {
	t.Helper()
	c := b.user(t)
	token, _, err := b.db.CreateAPIToken(context.Background(), c.user.ID, "test")
	require.NoError(t, err)
	return &client{b: b, user: c.user, token: token}
}

// do sends a request with the client's credentials; headers are name,
// value pairs. Every JSON response, and every accepted JSON request body,
// is checked against openapi.json (checkContract): drift fails the test.
func (c *client) do(t *testing.T, method, path string, body io.Reader, headers ...string) *http.Response {
	t.Helper()
	var sent []byte
	if body != nil {
		var err error
		sent, err = io.ReadAll(body)
		require.NoError(t, err)
		body = bytes.NewReader(sent)
	}
	req := httptest.NewRequest(method, path, body)
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.b.app.Test(req, -1)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	checkContract(t, req, sent, resp)
	return resp
}

// listen serves the app on a real loopback listener and returns its base
// URL. app.Test cannot show what fasthttp answers before routing (such as
// 413 for an oversized body), a real connection can.
func (b *bundle) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.app.Listener(ln)
	}()
	t.Cleanup(func() {
		_ = b.app.ShutdownWithTimeout(5 * time.Second)
		<-done
	})
	return "http://" + ln.Addr().String()
}

// announce sends a request to a real listener (base, from listen) with the
// client's credentials and headers, announcing a body of size bytes and
// sending none of it: for what the server answers from the headers alone,
// such as 413 for a body over the limit, which app.Test cannot show.
// (Streaming an oversized body races the server's close: a reset can hide
// the answer.) Like do, it checks the response against openapi.json.
func (c *client) announce(t *testing.T, base, method, path string, size int, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, path, addr, size)
	require.NoError(t, req.Header.Write(&head))
	head.WriteString("\r\n")
	_, err = conn.Write([]byte(head.String()))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	checkContract(t, req, nil, resp)
	return resp
}

func (c *client) get(t *testing.T, path string, headers ...string) *http.Response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, headers...)
}

// postForm posts a urlencoded form with the client's CSRF token, as the
// app's forms do.
func (c *client) postForm(t *testing.T, path string, form url.Values, headers ...string) *http.Response {
	t.Helper()
	if c.csrf != "" && !form.Has("_csrf") {
		form = cloneValues(form)
		form.Set("_csrf", c.csrf)
	}
	headers = append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)
	return c.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), headers...)
}

// postJSON posts body (a string is sent as is, anything else is marshalled)
// with the CSRF header when the client has a session.
func (c *client) postJSON(t *testing.T, path string, body any, headers ...string) *http.Response {
	t.Helper()
	var raw string
	switch b := body.(type) {
	case string:
		raw = b
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		raw = string(j)
	}
	h := []string{"Content-Type", "application/json"}
	if c.csrf != "" {
		h = append(h, "X-CSRF-Token", c.csrf)
	}
	return c.do(t, http.MethodPost, path, strings.NewReader(raw), append(h, headers...)...)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// sessionCookieOf returns the session cookie the response sets, or "".
func sessionCookieOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// page parses an HTML response.
func page(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(t, err)
	return doc
}

// testID finds elements by data-testid.
func testID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// decodeBody decodes a JSON response into v.
func decodeBody(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// apiError is the JSON error shape.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func errorOf(t *testing.T, resp *http.Response) apiError {
	t.Helper()
	var e apiError
	decodeBody(t, resp, &e)
	return e
}

// orderedForm is a form body in document order, as a browser sends it
// (url.Values sorts its keys).
type orderedForm [][2]string

func (f orderedForm) encode() string {
	var b strings.Builder
	for i, kv := range f {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1]))
	}
	return b.String()
}

// set replaces the first value of name, or appends it.
func (f orderedForm) set(name, value string) orderedForm {
	for i := range f {
		if f[i][0] == name {
			f[i][1] = value
			return f
		}
	}
	return append(f, [2]string{name, value})
}

func (f orderedForm) get(name string) string {
	for _, kv := range f {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

// submit posts an ordered form as is (it carries its own _csrf).
func (c *client) submit(t *testing.T, path string, form orderedForm) *http.Response {
	t.Helper()
	return c.do(t, http.MethodPost, path, strings.NewReader(form.encode()), "Content-Type", "application/x-www-form-urlencoded")
}

// formValues collects what a browser would submit from the form matched by
// sel: inputs, textareas and selects, in document order.
func formValues(doc *goquery.Document, sel string) orderedForm {
	var v orderedForm
	doc.Find(sel).Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok || name == "" {
			return
		}
		switch goquery.NodeName(s) {
		case "textarea":
			v = append(v, [2]string{name, s.Text()})
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			val, _ := opt.Attr("value")
			v = append(v, [2]string{name, val})
		default:
			switch typ, _ := s.Attr("type"); typ {
			case "submit", "button", "file", "reset":
				return
			case "checkbox", "radio":
				if _, checked := s.Attr("checked"); !checked {
					return
				}
			}
			val, _ := s.Attr("value")
			switch typ, _ := s.Attr("type"); typ {
			case "", "text", "search", "tel", "url", "email", "password", "hidden":
				// A browser strips line breaks from a text input's value
				// (the value sanitization algorithm), and posts it so.
				if typ != "hidden" {
					val = strings.NewReplacer("\r", "", "\n", "").Replace(val)
				}
			}
			v = append(v, [2]string{name, val})
		}
	})
	return v
}
