package models

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// APIToken is a personal access token for the JSON API. Only its hash is
// stored; the token is shown once, at creation.
type APIToken struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	Name       string
	TokenHash  string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TokenPrefix starts every personal token, so leaked ones are easy to grep for.
const TokenPrefix = "dsr_"

// CreateAPIToken stores a new token and returns it in clear, once.
func (db *DB) CreateAPIToken(ctx context.Context, userID, name string) (string, *APIToken, error) {
	token := TokenPrefix + RandomToken(32)
	t := &APIToken{ID: uuid.NewString(), UserID: userID, Name: name, TokenHash: HashToken(token), Prefix: token[:len(TokenPrefix)+6]}
	if err := db.g.WithContext(ctx).Create(t).Error; err != nil {
		return "", nil, fmt.Errorf("create api token: %w", err)
	}
	return token, t, nil
}

// UserByAPIToken resolves a bearer token to its user, if the token is live.
func (db *DB) UserByAPIToken(ctx context.Context, token string) (*User, error) {
	var t APIToken
	err := db.g.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", HashToken(token)).Take(&t).Error
	if err != nil {
		return nil, notFound(err)
	}
	now := time.Now().UTC()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		// Coarse on purpose: a commit per API call would be wasteful.
		db.g.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now)
	}
	return db.UserByID(ctx, t.UserID)
}

// LiveAPITokenID is the id of a token that is live (not revoked): what a
// stream it authorises is ended by when it is revoked.
func (db *DB) LiveAPITokenID(ctx context.Context, token string) (string, error) {
	var t APIToken
	err := db.g.WithContext(ctx).Select("id").Where("token_hash = ? AND revoked_at IS NULL", HashToken(token)).Take(&t).Error
	if err != nil {
		return "", notFound(err)
	}
	return t.ID, nil
}

// LiveAPITokenIDs keeps of ids those of tokens not revoked.
func (db *DB) LiveAPITokenIDs(ctx context.Context, ids []string) ([]string, error) {
	var live []string
	if len(ids) == 0 {
		return live, nil
	}
	err := db.g.WithContext(ctx).Model(&APIToken{}).Where("id IN ? AND revoked_at IS NULL", ids).Pluck("id", &live).Error
	if err != nil {
		return nil, fmt.Errorf("live api tokens: %w", err)
	}
	return live, nil
}

// APITokens lists a user's tokens, newest first.
func (db *DB) APITokens(ctx context.Context, userID string) ([]APIToken, error) {
	var ts []APIToken
	err := db.g.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC").Find(&ts).Error
	return ts, err
}

// RevokeAPIToken revokes one of the user's tokens.
func (db *DB) RevokeAPIToken(ctx context.Context, userID, id string) error {
	res := db.g.WithContext(ctx).Model(&APIToken{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).Update("revoked_at", time.Now().UTC())
	if res.Error != nil {
		return fmt.Errorf("revoke api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
