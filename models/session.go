package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Session is a server-side login session. Its ID is the SHA-256 of the cookie
// value, so a database leak does not leak live sessions.
type Session struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	CSRFToken string `gorm:"column:csrf_token"`
	CreatedAt time.Time
	ExpiresAt time.Time
}

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the stored form of a session cookie or API token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session and returns the cookie value.
func (db *DB) CreateSession(ctx context.Context, userID string, ttl time.Duration) (string, *Session, error) {
	cookie := RandomToken(32)
	s := &Session{ID: HashToken(cookie), UserID: userID, CSRFToken: RandomToken(32), CreatedAt: time.Now().UTC(), ExpiresAt: time.Now().UTC().Add(ttl)}
	if err := db.g.WithContext(ctx).Create(s).Error; err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return cookie, s, nil
}

// SessionByCookie returns the live session and its user.
func (db *DB) SessionByCookie(ctx context.Context, cookie string) (*Session, *User, error) {
	var s Session
	err := db.g.WithContext(ctx).Where("id = ? AND expires_at > ?", HashToken(cookie), time.Now().UTC()).Take(&s).Error
	if err != nil {
		return nil, nil, notFound(err)
	}
	u, err := db.UserByID(ctx, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	return &s, u, nil
}

// LiveSessionIDs keeps of ids (sessions' ids, not cookies) those of
// sessions neither ended nor expired.
func (db *DB) LiveSessionIDs(ctx context.Context, ids []string) ([]string, error) {
	var live []string
	if len(ids) == 0 {
		return live, nil
	}
	err := db.g.WithContext(ctx).Model(&Session{}).Where("id IN ? AND expires_at > ?", ids, time.Now().UTC()).Pluck("id", &live).Error
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	return live, nil
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, cookie string) error {
	return db.g.WithContext(ctx).Where("id = ?", HashToken(cookie)).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res := db.g.WithContext(ctx).Where("expires_at <= ?", time.Now().UTC()).Delete(&Session{})
	return res.RowsAffected, res.Error
}
