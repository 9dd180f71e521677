package handlers

import (
	"errors"
	"strings"
	"sync"

	"github.com/alexedwards/argon2id"
	"github.com/gofiber/fiber/v2"

	"dossier/models"
	"dossier/views/pages"
)

// HashPassword hashes a password with argon2id's recommended defaults. The
// `dossier user create` command uses it too, so every account hashes alike.
func HashPassword(p string) (string, error) {
	return argon2id.CreateHash(p, argon2id.DefaultParams)
}

// CheckPassword reports whether p matches hash; a malformed hash never matches.
func CheckPassword(hash, p string) bool {
	ok, err := argon2id.ComparePasswordAndHash(p, hash)
	return err == nil && ok
}

// MinPasswordLength is the shortest password sign-up accepts.
const MinPasswordLength = 8

// dummyHash is compared against when the email is unknown, so that a login
// takes as long whether or not the account exists. It is made on first use:
// hashing costs 64 MiB and tens of milliseconds.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("dossier-timing-equaliser")
	return h
})

// AuthRoutes registers sign-up, log-in and log-out. They sit before
// requireUser; everything else needs a user.
func (s *Server) AuthRoutes(r fiber.Router) {
	r.Get("/signup", s.signupPage)
	r.Post("/signup", s.signup)
	r.Get("/login", s.loginPage)
	r.Post("/login", s.login)
	r.Get("/logout", s.logoutPage)
	r.Post("/logout", s.logout)
}

// credentials is the body of /signup and /login, as a form or as JSON.
type credentials struct {
	Email    string `json:"email" form:"email"`
	Name     string `json:"name" form:"name"`
	Password string `json:"password" form:"password"`
	Next     string `json:"next" form:"next"`
}

// readCredentials parses the form or, for JSON clients, the JSON body; JSON
// clients also get JSON errors.
func readCredentials(c *fiber.Ctx) (credentials, error) {
	var in credentials
	if isJSONRequest(c) {
		speakJSON(c)
		if err := decodeJSON(c, &in); err != nil {
			return in, err
		}
	} else {
		in = credentials{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password"), Next: c.FormValue("next")}
	}
	in.Email = strings.TrimSpace(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	return in, nil
}

func (s *Server) authVM(c *fiber.Ctx, in credentials) pages.AuthVM {
	vm := pages.AuthVM{Email: in.Email, Name: in.Name, Next: in.Next, Errors: map[string]string{}}
	if sess := currentSession(c); sess != nil {
		vm.CSRF = sess.CSRFToken
	}
	return vm
}

func (s *Server) signupPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.page(c, "Create your account", "", pages.Signup(s.authVM(c, credentials{Next: c.Query("next")})))
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(localPath(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.page(c, "Log in", "", pages.Login(s.authVM(c, credentials{Next: c.Query("next")})))
}

func (s *Server) signup(c *fiber.Ctx) error {
	if ok, wait := s.signupByAddr.take(s.clientIP(c)); !ok {
		return rateLimited(c, wait)
	}
	in, err := readCredentials(c)
	if err != nil {
		return err
	}
	fields := fieldErrors{}
	switch {
	case in.Name == "":
		fields.add("name", "Enter your name")
	case tooLong(in.Name, 100):
		fields.add("name", "Use at most 100 characters")
	case !storableText(in.Name):
		fields.add("name", "Remove the NUL character or invalid text")
	}
	if !validEmail(in.Email) {
		fields.add("email", "Enter an email address such as ada@example.com")
	}
	switch {
	case len([]rune(in.Password)) < MinPasswordLength:
		fields.add("password", "Use at least 8 characters")
	case len(in.Password) > 1024:
		fields.add("password", "Use at most 1024 characters")
	}
	var u *models.User
	if len(fields) == 0 {
		hash, err := HashPassword(in.Password)
		if err != nil {
			return err
		}
		u, err = s.db.CreateUser(c.UserContext(), in.Email, in.Name, hash)
		if errors.Is(err, models.ErrEmailTaken) {
			fields.add("email", "An account with this email already exists; log in instead")
		} else if err != nil {
			return err
		}
	}
	if len(fields) > 0 {
		if isJSONRequest(c) {
			return fields.err()
		}
		vm := s.authVM(c, in)
		vm.Errors = fields
		c.Status(fiber.StatusUnprocessableEntity)
		return s.page(c, "Create your account", "", pages.Signup(vm))
	}
	return s.startSession(c, u, in.Next, fiber.StatusCreated)
}

func (s *Server) login(c *fiber.Ctx) error {
	in, err := readCredentials(c)
	if err != nil {
		return err
	}
	fields := fieldErrors{}
	if in.Email == "" {
		fields.add("email", "Enter your email")
	}
	if in.Password == "" {
		fields.add("password", "Enter your password")
	}
	if len(fields) > 0 {
		if isJSONRequest(c) {
			return fields.err()
		}
		vm := s.authVM(c, in)
		vm.Errors = fields
		c.Status(fiber.StatusUnprocessableEntity)
		return s.page(c, "Log in", "", pages.Login(vm))
	}
	// Both budgets are taken before the password is checked, and given
	// back when it is right: only failures count.
	// The account key outlives the request: copy it out of fasthttp's
	// buffer, which the next request reuses (ToLower may return its input).
	addr, account := s.clientIP(c), strings.Clone(strings.ToLower(truncate(in.Email, 320)))
	ok, wait := s.loginByAddr.take(addr)
	if !ok {
		return rateLimited(c, wait)
	}
	if ok, wait = s.loginByAccount.take(account); !ok {
		s.loginByAddr.giveBack(addr)
		return rateLimited(c, wait)
	}
	u, err := s.db.UserByEmail(c.UserContext(), in.Email)
	switch {
	case errors.Is(err, models.ErrNotFound):
		CheckPassword(dummyHash(), in.Password)
	case err != nil:
		s.loginByAddr.giveBack(addr)
		s.loginByAccount.giveBack(account)
		return err
	case CheckPassword(u.PasswordHash, in.Password):
		s.loginByAddr.giveBack(addr)
		s.loginByAccount.giveBack(account)
		return s.startSession(c, u, in.Next, fiber.StatusOK)
	}
	const msg = "Email or password is incorrect"
	if isJSONRequest(c) {
		return &Error{Status: fiber.StatusUnauthorized, Code: "invalid_credentials", Message: msg}
	}
	vm := s.authVM(c, in)
	vm.Message = msg
	c.Status(fiber.StatusUnauthorized)
	return s.page(c, "Log in", "", pages.Login(vm))
}

// startSession ends the session the browser had, if any, and starts a fresh
// one: a new id at every login defeats session fixation. Forms are
// redirected to next; JSON clients get the user and their CSRF token.
func (s *Server) startSession(c *fiber.Ctx, u *models.User, next string, status int) error {
	ctx := c.UserContext()
	if old := c.Cookies(sessionCookie); old != "" {
		if err := s.db.DeleteSession(ctx, old); err != nil {
			return err
		}
		if sess := currentSession(c); sess != nil {
			s.endAccess(sessionAccess(sess.ID)) // the replaced session's tabs stop receiving
		}
	}
	cookie, sess, err := s.db.CreateSession(ctx, u.ID, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, cookie, sess.ExpiresAt)
	if isJSONRequest(c) {
		return c.Status(status).JSON(fiber.Map{
			"user":      fiber.Map{"id": u.ID, "email": u.Email, "name": u.Name},
			"csrfToken": sess.CSRFToken,
		})
	}
	return c.Redirect(localPath(next), fiber.StatusSeeOther)
}

// logoutPage answers a GET /logout, typed in the address bar or followed
// from a bookmark, with a page whose button logs out (a POST with the CSRF
// token: a link or an image must not end a session); someone not logged
// in goes to the log-in page. API clients are told to POST.
func (s *Server) logoutPage(c *fiber.Ctx) error {
	if isJSONRequest(c) || wantsJSON(c) {
		c.Set(fiber.HeaderAllow, "POST")
		return errMethodNotAllowed
	}
	u, sess := currentUser(c), currentSession(c)
	if u == nil || sess == nil {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return s.page(c, "Log out", "", pages.Logout(pages.LogoutVM{Email: u.Email, CSRF: sess.CSRFToken}))
}

// logout deletes the session server-side, so the cookie is dead even if it
// was copied, and clears it in the browser. CSRF protects it like any POST.
func (s *Server) logout(c *fiber.Ctx) error {
	if cookie, ok := c.Locals(localCookie).(string); ok && cookie != "" {
		if err := s.db.DeleteSession(c.UserContext(), cookie); err != nil {
			return err
		}
	}
	if sess := currentSession(c); sess != nil {
		s.endAccess(sessionAccess(sess.ID)) // the session's tabs stop receiving, on every instance
	}
	s.clearSessionCookie(c)
	if isJSONRequest(c) || wantsJSON(c) {
		return c.SendStatus(fiber.StatusNoContent)
	}
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", "/login")
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// truncate keeps the first n bytes of s: a limiter key need not be longer.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
