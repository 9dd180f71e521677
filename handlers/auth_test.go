package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/models"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := testHash()
	assert.True(t, strings.HasPrefix(h, "$argon2id$"), h)
	assert.True(t, CheckPassword(h, testPassword))
	assert.False(t, CheckPassword(h, testPassword+"x"))
	assert.False(t, CheckPassword("not a hash", testPassword))
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                     "/",
		"/projects":            "/projects",
		"/projects/1?x=1":      "/projects/1?x=1",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"projects":             "/",
		"/a\r\nSet-Cookie: x":  "/",
	} {
		assert.Equal(t, want, localPath(in), "localPath(%q)", in)
	}
}

func TestSignupForm(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)

		t.Run("success signs in and redirects", func(t *testing.T) {
			email := uniqueEmail("Signup")
			resp := b.anon().postForm(t, "/signup", url.Values{"email": {email}, "name": {"Ada Lovelace"}, "password": {"s3cret-pass"}, "next": {"/projects"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, "/projects", resp.Header.Get("Location"))
			var cookie *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == sessionCookie {
					cookie = c
				}
			}
			require.NotNil(t, cookie)
			assert.True(t, cookie.HttpOnly, "HttpOnly")
			assert.Equal(t, http.SameSiteLaxMode, cookie.SameSite)
			assert.Equal(t, "/", cookie.Path)
			_, u, err := b.db.SessionByCookie(context.Background(), cookie.Value)
			require.NoError(t, err)
			assert.Equal(t, strings.ToLower(email), u.Email)
			assert.Equal(t, "Ada Lovelace", u.Name)
			assert.True(t, CheckPassword(u.PasswordHash, "s3cret-pass"))
		})

		taken := uniqueEmail("taken")
		b.signup(t, taken, "First", testPassword)
		for _, tc := range []struct {
			name          string
			form          url.Values
			field, substr string
		}{
			{"bad email", url.Values{"email": {"not-an-email"}, "name": {"Ada"}, "password": {testPassword}}, "email", "email address"},
			{"short password", url.Values{"email": {uniqueEmail("a")}, "name": {"Ada"}, "password": {"short"}}, "password", "at least 8"},
			{"missing name", url.Values{"email": {uniqueEmail("a")}, "name": {"  "}, "password": {testPassword}}, "name", "Enter your name"},
			{"duplicate email", url.Values{"email": {strings.ToUpper(taken)}, "name": {"Ada"}, "password": {testPassword}}, "email", "already exists"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := b.anon().postForm(t, "/signup", tc.form)
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
				assert.Empty(t, sessionCookieOf(t, resp))
				doc := page(t, resp)
				assert.Contains(t, testID(doc, "error-"+tc.field).Text(), tc.substr)
				// What the user typed is kept, except the password.
				val, _ := doc.Find(`input[name="email"]`).Attr("value")
				assert.Equal(t, strings.TrimSpace(tc.form.Get("email")), val)
				pw, _ := doc.Find(`input[name="password"]`).Attr("value")
				assert.Empty(t, pw)
			})
		}
	})
}

func TestSignupJSON(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		for _, tc := range []struct {
			name   string
			body   string
			status int
			code   string
			fields []string
		}{
			{"bad email", `{"email":"nope","name":"Ada","password":"long enough"}`, 422, "validation_failed", []string{"email"}},
			{"short password", `{"email":"ada@example.com","name":"Ada","password":"short"}`, 422, "validation_failed", []string{"password"}},
			{"missing name", `{"email":"ada@example.com","password":"long enough"}`, 422, "validation_failed", []string{"name"}},
			{"everything wrong", `{}`, 422, "validation_failed", []string{"email", "name", "password"}},
			{"malformed JSON", `{"email": "ada@example.com",`, 400, "bad_request", nil},
			{"not JSON at all", `email=ada`, 400, "bad_request", nil},
			{"wrong type", `{"email":"ada@example.com","name":5,"password":"long enough"}`, 422, "validation_failed", []string{"name"}},
			{"array body", `[1,2]`, 422, "validation_failed", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := b.anon().postJSON(t, "/signup", tc.body)
				require.Equal(t, tc.status, resp.StatusCode)
				e := errorOf(t, resp)
				assert.Equal(t, tc.code, e.Error.Code)
				assert.NotEmpty(t, e.Error.Message)
				for _, f := range tc.fields {
					assert.Contains(t, e.Error.Fields, f)
				}
				assert.Len(t, e.Error.Fields, len(tc.fields))
			})
		}

		t.Run("success", func(t *testing.T) {
			email := uniqueEmail("json")
			resp := b.anon().postJSON(t, "/signup", map[string]string{"email": email, "name": "Grace", "password": "long enough"})
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			cookie := sessionCookieOf(t, resp)
			require.NotEmpty(t, cookie)
			var out struct {
				User      struct{ ID, Email, Name string }
				CSRFToken string `json:"csrfToken"`
			}
			decodeBody(t, resp, &out)
			assert.Equal(t, email, out.User.Email)
			sess, _, err := b.db.SessionByCookie(context.Background(), cookie)
			require.NoError(t, err)
			assert.Equal(t, sess.CSRFToken, out.CSRFToken)
		})
	})
}

func TestLogin(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		email := uniqueEmail("login")
		b.signup(t, email, "Lin", testPassword)

		for _, tc := range []struct {
			name, email, password string
			status                int
			wantCookie            bool
		}{
			{"right password", email, testPassword, http.StatusSeeOther, true},
			{"email in other case", strings.ToUpper(email), testPassword, http.StatusSeeOther, true},
			{"wrong password", email, "wrong password", http.StatusUnauthorized, false},
			{"unknown email", uniqueEmail("ghost"), testPassword, http.StatusUnauthorized, false},
			{"empty fields", "", "", http.StatusUnprocessableEntity, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := b.anon().postForm(t, "/login", url.Values{"email": {tc.email}, "password": {tc.password}, "next": {"/projects/new"}})
				require.Equal(t, tc.status, resp.StatusCode)
				assert.Equal(t, tc.wantCookie, sessionCookieOf(t, resp) != "")
				switch tc.status {
				case http.StatusSeeOther:
					assert.Equal(t, "/projects/new", resp.Header.Get("Location"))
				case http.StatusUnauthorized:
					doc := page(t, resp)
					assert.Contains(t, testID(doc, "flash").Text(), "Email or password is incorrect")
					next, _ := doc.Find(`input[name="next"]`).Attr("value")
					assert.Equal(t, "/projects/new", next)
				case http.StatusUnprocessableEntity:
					doc := page(t, resp)
					assert.Equal(t, 1, testID(doc, "error-email").Length())
					assert.Equal(t, 1, testID(doc, "error-password").Length())
				}
			})
		}

		t.Run("json", func(t *testing.T) {
			resp := b.anon().postJSON(t, "/login", map[string]string{"email": email, "password": "nope nope"})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Equal(t, "invalid_credentials", errorOf(t, resp).Error.Code)

			resp = b.anon().postJSON(t, "/login", map[string]string{"email": email, "password": testPassword})
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.NotEmpty(t, sessionCookieOf(t, resp))
		})

		t.Run("open redirect refused", func(t *testing.T) {
			resp := b.anon().postForm(t, "/login", url.Values{"email": {email}, "password": {testPassword}, "next": {"//evil.example/x"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			assert.Equal(t, "/", resp.Header.Get("Location"))
		})

		t.Run("pages redirect when signed in", func(t *testing.T) {
			c := b.user(t)
			for _, path := range []string{"/login", "/signup"} {
				resp := c.get(t, path)
				assert.Equal(t, http.StatusSeeOther, resp.StatusCode, path)
				assert.Equal(t, "/", resp.Header.Get("Location"), path)
			}
			resp := b.anon().get(t, "/login?next=/projects")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			next, _ := page(t, resp).Find(`input[name="next"]`).Attr("value")
			assert.Equal(t, "/projects", next)
		})
	})
}

func TestLoginRotatesSession(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		email := uniqueEmail("rotate")
		before := b.signup(t, email, "Rae", testPassword)

		// Log in again from the same browser: its old session must die.
		resp := before.postForm(t, "/login", url.Values{"email": {email}, "password": {testPassword}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		after := sessionCookieOf(t, resp)
		require.NotEmpty(t, after)
		assert.NotEqual(t, before.cookie, after, "the session id must change at login")

		ctx := context.Background()
		_, _, err := b.db.SessionByCookie(ctx, before.cookie)
		assert.ErrorIs(t, err, models.ErrNotFound, "the old session must be gone")
		_, u, err := b.db.SessionByCookie(ctx, after)
		require.NoError(t, err)
		assert.Equal(t, before.user.ID, u.ID)
	})
}

func TestLogout(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.signup(t, uniqueEmail("bye"), "Bo", testPassword)
		require.Equal(t, http.StatusOK, c.get(t, "/projects").StatusCode)

		resp := c.postForm(t, "/logout", url.Values{})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/login", resp.Header.Get("Location"))
		var cleared bool
		for _, ck := range resp.Cookies() {
			cleared = cleared || (ck.Name == sessionCookie && ck.Value == "" && (ck.MaxAge < 0 || ck.Expires.Before(time.Now())))
		}
		assert.True(t, cleared, "the cookie must be cleared")

		_, _, err := b.db.SessionByCookie(context.Background(), c.cookie)
		assert.ErrorIs(t, err, models.ErrNotFound, "the session must be deleted server-side")
		// A copy of the old cookie is worthless now.
		resp = c.get(t, "/projects")
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/login?next=%2Fprojects", resp.Header.Get("Location"))
		resp = c.get(t, "/api/projects")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
}

func TestCSRF(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		c := b.user(t)
		project := `{"name":"CSRF"}`
		for _, tc := range []struct {
			name    string
			path    string
			body    string
			headers []string
			status  int
		}{
			{"logout without token", "/logout", "", []string{"Content-Type", "application/x-www-form-urlencoded"}, 403},
			{"form without token", "/projects", "name=X", []string{"Content-Type", "application/x-www-form-urlencoded"}, 403},
			{"form with wrong token", "/projects", "name=X&_csrf=wrong", []string{"Content-Type", "application/x-www-form-urlencoded"}, 403},
			{"token create without token", "/settings/tokens", "name=x", []string{"Content-Type", "application/x-www-form-urlencoded"}, 403},
			{"JSON API with cookie, no header", "/api/projects", project, []string{"Content-Type", "application/json"}, 403},
			{"JSON API with cookie and header", "/api/projects", project, []string{"Content-Type", "application/json", "X-CSRF-Token", c.csrf}, 201},
			{"form with token", "/projects", "name=X&_csrf=" + url.QueryEscape(c.csrf), []string{"Content-Type", "application/x-www-form-urlencoded"}, 303},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := c.do(t, http.MethodPost, tc.path, strings.NewReader(tc.body), tc.headers...)
				assert.Equal(t, tc.status, resp.StatusCode)
				if tc.status == 403 && strings.HasPrefix(tc.path, "/api/") {
					assert.Equal(t, "csrf_failed", errorOf(t, resp).Error.Code)
				}
			})
		}
		// Bearer requests need no CSRF token: browsers never send them on their own.
		api := b.apiClient(t)
		resp := api.postJSON(t, "/api/projects", project)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		// The session survived the refused logout.
		_, _, err := b.db.SessionByCookie(context.Background(), c.cookie)
		assert.NoError(t, err)
	})
}

func TestLoginRateLimit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		const limit = 3
		b := setup(t, d, func(c *Config) { c.LoginRate = limit })
		form := url.Values{"email": {uniqueEmail("rl")}, "password": {"whatever1"}}
		for i := range limit {
			resp := b.anon().postForm(t, "/login", form)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "attempt %d", i+1)
		}
		resp := b.anon().postForm(t, "/login", form)
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		resp = b.anon().postJSON(t, "/login", `{"email":"a@b.co","password":"x"}`, "Accept", "application/json")
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Equal(t, "rate_limited", errorOf(t, resp).Error.Code)
		// Pages are not limited.
		assert.Equal(t, http.StatusOK, b.anon().get(t, "/login").StatusCode)
	})
}

// A page on another site cannot post the log-in or sign-up form (login
// CSRF: the victim would work in the attacker's account), nor any other
// form: 403, and no session cookie.
func TestCrossSiteFormPostsRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := setup(t, d)
		email := uniqueEmail("xsite")
		b.signup(t, email, "Xavier", testPassword)
		signedIn := b.user(t)

		// httptest requests go to Host example.com.
		for _, tc := range []struct {
			name    string
			headers []string
			status  int
		}{
			{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
			{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example.com"}, http.StatusForbidden},
			{"Sec-Fetch-Site cross-site, forged same Origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://example.com"}, http.StatusForbidden},
			{"old browser, other Origin", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
			{"old browser, null Origin", []string{"Origin", "null"}, http.StatusForbidden},
			{"same origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"}, http.StatusSeeOther},
			{"old browser, same Origin", []string{"Origin", "http://example.com"}, http.StatusSeeOther},
			{"typed by the user", []string{"Sec-Fetch-Site", "none"}, http.StatusSeeOther},
			{"not a browser", nil, http.StatusSeeOther},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := b.anon().postForm(t, "/login", url.Values{"email": {email}, "password": {testPassword}}, tc.headers...)
				assert.Equal(t, tc.status, resp.StatusCode, "log-in")
				assert.Equal(t, tc.status != http.StatusForbidden, sessionCookieOf(t, resp) != "", "log-in session cookie")

				resp = b.anon().postForm(t, "/signup", url.Values{"email": {uniqueEmail("xs")}, "name": {"X"}, "password": {testPassword}}, tc.headers...)
				assert.Equal(t, tc.status, resp.StatusCode, "sign-up")
				assert.Equal(t, tc.status != http.StatusForbidden, sessionCookieOf(t, resp) != "", "sign-up session cookie")

				// A signed-in user's form, even with a leaked CSRF token.
				resp = signedIn.postForm(t, "/projects", url.Values{"name": {"X"}}, tc.headers...)
				assert.Equal(t, tc.status, resp.StatusCode, "project form")
			})
		}

		t.Run("JSON answer", func(t *testing.T) {
			resp := b.anon().postJSON(t, "/login", map[string]string{"email": email, "password": testPassword}, "Sec-Fetch-Site", "cross-site")
			require.Equal(t, http.StatusForbidden, resp.StatusCode)
			assert.Equal(t, "cross_origin", errorOf(t, resp).Error.Code)
		})
		t.Run("bearer requests are not browser posts", func(t *testing.T) {
			resp := b.apiClient(t).postJSON(t, "/api/projects", `{"name":"API"}`, "Origin", "https://tool.example")
			assert.Equal(t, http.StatusCreated, resp.StatusCode)
		})
	})
}
