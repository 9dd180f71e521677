package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// User is an account.
type User struct {
	ID           string `gorm:"primaryKey"`
	Email        string
	Name         string
	PasswordHash string
	// IsAdmin opens the operator console (/admin); set by
	// `dossier user create --admin` or `dossier user promote`.
	IsAdmin   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ErrEmailTaken is returned when an account already uses the email.
var ErrEmailTaken = fmt.Errorf("email already registered")

// CreateUser stores a new user; passwordHash is already hashed.
func (db *DB) CreateUser(ctx context.Context, email, name, passwordHash string) (*User, error) {
	u := &User{ID: uuid.NewString(), Email: strings.ToLower(strings.TrimSpace(email)), Name: strings.TrimSpace(name), PasswordHash: passwordHash}
	if err := db.g.WithContext(ctx).Create(u).Error; err != nil {
		if IsUniqueViolation(err) {
			return nil, ErrEmailTaken
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds a user by email, case-insensitively.
func (db *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	if !utf8.ValidString(email) || strings.IndexByte(email, 0) >= 0 {
		// No account has such an address (sign-up refuses it), and
		// PostgreSQL would refuse the query: a login form posting it gets
		// the answer of any unknown address.
		return nil, ErrNotFound
	}
	var u User
	err := db.g.WithContext(ctx).Where("lower(email) = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	if err := db.g.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// SetAdmin grants or withdraws the administrator role of the user with the
// email. An unknown email is ErrNotFound.
func (db *DB) SetAdmin(ctx context.Context, email string, admin bool) (*User, error) {
	res := db.g.WithContext(ctx).Model(&User{}).Where("lower(email) = ?", strings.ToLower(strings.TrimSpace(email))).
		Updates(map[string]any{"is_admin": admin, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return nil, fmt.Errorf("set admin: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return db.UserByEmail(ctx, email)
}

// AdminIDs keeps of ids (users' ids) those of administrators: what the
// console's live feed checks before each push, so that a user whose role
// was withdrawn, by any means, gets no more of it.
func (db *DB) AdminIDs(ctx context.Context, ids []string) ([]string, error) {
	admins := []string{}
	for chunk := range slices.Chunk(ids, 500) { // within SQLite's bound on parameters
		var part []string
		if err := db.g.WithContext(ctx).Model(&User{}).Where("id IN ? AND is_admin", chunk).Pluck("id", &part).Error; err != nil {
			return nil, fmt.Errorf("admin ids: %w", err)
		}
		admins = append(admins, part...)
	}
	return admins, nil
}
