package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
	"dossier/views/pages"
)

// TokenRoutes registers /settings/tokens: list, create (the token is shown
// once) and revoke personal API tokens.
func (s *Server) TokenRoutes(r fiber.Router) {
	r.Get("/settings/tokens", requireSession, s.tokensPage)
	r.Post("/settings/tokens", requireSession, s.createToken)
	r.Post("/settings/tokens/:id/revoke", requireSession, s.revokeToken)
}

// requireSession keeps token management to signed-in browsers: a leaked
// bearer token must not be able to mint fresh ones that outlive its revocation.
func requireSession(c *fiber.Ctx) error {
	if currentSession(c) == nil {
		return &Error{Status: fiber.StatusForbidden, Code: "session_required", Message: "manage API tokens from the web app, signed in with your password"}
	}
	return c.Next()
}

func (s *Server) tokensVM(c *fiber.Ctx) (pages.TokensVM, error) {
	u := currentUser(c)
	ts, err := s.db.APITokens(c.UserContext(), u.ID)
	if err != nil {
		return pages.TokensVM{}, err
	}
	vm := pages.TokensVM{CSRF: csrfToken(c), BaseURL: c.BaseURL()}
	for i := range ts {
		vm.Tokens = append(vm.Tokens, tokenRow(&ts[i], vm.CSRF))
	}
	return vm, nil
}

func tokenRow(t *models.APIToken, csrf string) pages.TokenRow {
	r := pages.TokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Created: when(t.CreatedAt), LastUsed: "Never", CSRF: csrf}
	if t.LastUsedAt != nil {
		r.LastUsed = when(*t.LastUsedAt)
	}
	if t.RevokedAt != nil {
		r.Revoked, r.RevokedAt = true, when(*t.RevokedAt)
	}
	return r
}

func when(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

func (s *Server) tokensPage(c *fiber.Ctx) error {
	vm, err := s.tokensVM(c)
	if err != nil {
		return err
	}
	return s.page(c, "API tokens", "", pages.TokensPage(vm))
}

func (s *Server) createToken(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" {
		name = "API token"
	}
	if tooLong(name, 100) || !storableText(name) {
		vm, err := s.tokensVM(c)
		if err != nil {
			return err
		}
		vm.Name, vm.Error = name, "Use at most 100 characters, without NUL characters"
		c.Status(fiber.StatusUnprocessableEntity)
		return s.page(c, "API tokens", "", pages.TokensPage(vm))
	}
	token, t, err := s.db.CreateAPIToken(c.UserContext(), currentUser(c).ID, strings.Clone(name))
	if err != nil {
		return err
	}
	vm, err := s.tokensVM(c)
	if err != nil {
		return err
	}
	vm.Created = &pages.CreatedToken{Name: t.Name, Token: token}
	// The page holds a secret: keep it out of caches and history.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Status(fiber.StatusCreated)
	return s.page(c, "API tokens", "", pages.TokensPage(vm))
}

// revokeToken answers htmx with the updated row, and a plain form with a
// redirect back to the list.
func (s *Server) revokeToken(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	if !models.IsID(c.Params("id")) {
		return ErrNotFound
	}
	id := strings.Clone(c.Params("id"))
	if err := s.db.RevokeAPIToken(ctx, u.ID, id); err != nil {
		return err
	}
	s.endAccess(tokenAccess(id)) // its open streams stop receiving, on every instance
	if !isPartial(c) {
		return c.Redirect("/settings/tokens", fiber.StatusSeeOther)
	}
	ts, err := s.db.APITokens(ctx, u.ID)
	if err != nil {
		return err
	}
	for i := range ts {
		if ts[i].ID == c.Params("id") {
			return render(c, pages.TokenRowView(tokenRow(&ts[i], csrfToken(c))))
		}
	}
	return ErrNotFound
}
