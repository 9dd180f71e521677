// Package modelstest opens fresh, migrated databases for tests: SQLite
// always, PostgreSQL when TEST_DATABASE_URL is set. Each test gets its own
// database, so packages can run in parallel.
package modelstest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"dossier/models"
)

// Dialects lists the databases tests should run against. Without
// TEST_DATABASE_URL it is SQLite only, and it fails the test if
// DOSSIER_REQUIRE_POSTGRES is set (CI never skips PostgreSQL).
func Dialects(t testing.TB) []models.Dialect {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []models.Dialect{models.SQLite, models.Postgres}
	}
	if os.Getenv("DOSSIER_REQUIRE_POSTGRES") != "" {
		t.Fatal("DOSSIER_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
	}
	return []models.Dialect{models.SQLite}
}

// PostgresURL returns TEST_DATABASE_URL, or skips the test (failing it
// instead when DOSSIER_REQUIRE_POSTGRES is set).
func PostgresURL(t testing.TB) string {
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("DOSSIER_REQUIRE_POSTGRES") != "" {
			t.Fatal("DOSSIER_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
		}
		t.Skip("PostgreSQL suite skipped: TEST_DATABASE_URL not set")
	}
	return u
}

// URL returns the URL of a fresh, empty database of the dialect, dropped when
// the test ends.
func URL(t testing.TB, d models.Dialect) string {
	t.Helper()
	if d == models.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	return NewPostgresDB(t, PostgresURL(t))
}

var seq atomic.Int64

// NewPostgresDB creates a database next to base's and returns its URL.
func NewPostgresDB(t testing.TB, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(context.Background())
	name := fmt.Sprintf("dossier_t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a fresh, migrated database of the dialect.
func Open(t testing.TB, d models.Dialect) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), URL(t, d))
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Name is a subtest name for a dialect.
func Name(d models.Dialect) string { return strings.ToLower(string(d)) }
