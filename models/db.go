// Package models holds the GORM models and every query on them, including the
// ones that decide correctness: claim, lease, fencing and progress. It knows
// nothing of HTTP.
package models

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", for the migrations' pool
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"dossier/migrations"
)

// ErrNotFound is returned for a missing row, or one that belongs to another user.
var ErrNotFound = errors.New("not found")

// Dialect names the SQL dialect behind a DB.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DB is the database handle the rest of the app uses. It exposes named
// methods only: every query lives in this package, with its SQL visible.
type DB struct {
	g        *gorm.DB
	notifier Notifier
	Dialect  Dialect
	// URL is the PostgreSQL URL, kept for the dedicated LISTEN connection.
	URL string
	// prepared names the hot paths' statements that are prepared on each
	// connection (job_pipeline.go).
	prepared preparedNames
}

// ParseURL splits DATABASE_URL into a dialect and a driver DSN.
func ParseURL(url string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return "", "", fmt.Errorf("sqlite URL needs a path, as in sqlite:data/dossier.db")
		}
		return SQLite, path, nil
	default:
		return "", "", fmt.Errorf("must start with sqlite: or postgres://")
	}
}

// Open connects to the database named by url and applies the migrations.
func Open(ctx context.Context, url string, opts ...Options) (*DB, error) {
	db, err := Connect(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Options tunes the connection pool.
type Options struct {
	// MaxConns bounds the PostgreSQL pool. Default 16. The processor asks
	// for its WORKER_CONCURRENCY plus room for the web side and the
	// completer, so the pool is never the queue.
	MaxConns int
}

// Connect opens the database without migrating.
func Connect(ctx context.Context, url string, opts ...Options) (*DB, error) {
	var o Options
	for _, x := range opts {
		o = x
	}
	o.MaxConns = cmp.Or(o.MaxConns, 16)
	dialect, dsn, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	var g *gorm.DB
	switch dialect {
	case Postgres:
		g, err = gorm.Open(postgres.New(postgres.Config{DSN: withTimeouts(dsn)}), cfg)
	case SQLite:
		if dir := filepath.Dir(dsn); dir != "." && !strings.HasPrefix(dsn, "file:") {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		g, err = gorm.Open(sqlite.Open(dsn), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	switch dialect {
	case SQLite:
		// One writer at a time is SQLite's model; a single connection makes
		// the claim a true single-writer section and avoids SQLITE_BUSY.
		sqlDB.SetMaxOpenConns(1)
	case Postgres:
		sqlDB.SetMaxOpenConns(o.MaxConns)
		sqlDB.SetMaxIdleConns(max(o.MaxConns/2, 2))
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &DB{g: g, Dialect: dialect, URL: url}, nil
}

// Ping checks that the database answers: readiness.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.g.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// ForTests gives tests and the benchmark SQL access to the database, to set
// up states and inspect rows. The app itself uses the named methods only
// (TestNoGormOutsideModels keeps it so).
func (db *DB) ForTests() *gorm.DB { return db.g }

// Close closes the pool.
func (db *DB) Close() error {
	sqlDB, err := db.g.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Migrate applies the embedded migrations of the dialect. Running it again is
// a no-op.
func (db *DB) Migrate(ctx context.Context) error {
	sqlDB, err := db.g.DB()
	if err != nil {
		return err
	}
	_, err = db.migrate(ctx, sqlDB)
	return err
}

// MigrateReport applies the migrations and reports how many were applied.
func (db *DB) MigrateReport(ctx context.Context) (int, error) {
	sqlDB, err := db.g.DB()
	if err != nil {
		return 0, err
	}
	return db.migrate(ctx, sqlDB)
}

func (db *DB) migrate(ctx context.Context, sqlDB *sql.DB) (int, error) {
	sub, err := fs.Sub(migrations.FS, string(db.Dialect))
	if err != nil {
		return 0, err
	}
	if db.Dialect == Postgres {
		// The app's statement timeout (withTimeouts) would fail a
		// migration that rewrites or indexes a large table, and the
		// instance could not start: migrations get a pool of their own
		// without it. The lock timeout stays: a migration queued behind
		// a long transaction would otherwise hold every query behind it.
		mdb, err := sql.Open("pgx", migrationDSN(db.URL))
		if err != nil {
			return 0, fmt.Errorf("migrations: %w", err)
		}
		defer mdb.Close()
		mdb.SetMaxOpenConns(2)
		sqlDB = mdb
	}
	dialect := goose.DialectPostgres
	if db.Dialect == SQLite {
		dialect = goose.DialectSQLite3
	}
	// Migration numbers were not always committed in their order (00004
	// and 00005 landed before 00002 and 00003), so a database an older
	// build migrated can lack a number below its version. goose refuses
	// that by default and the instance could not start; each migration
	// only adds to what the ones before it made, so the missing ones are
	// applied, in order, after the others.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if db.Dialect == Postgres {
		// Several instances may start at once; a session lock serialises
		// their migrations.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return 0, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	return len(res), nil
}

// migrationDSN is url for the migrations' connections: the app's timeouts
// but no statement timeout, unless the URL sets one.
func migrationDSN(url string) string {
	if strings.Contains(url, "://") && !strings.Contains(url, "statement_timeout=") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "statement_timeout=0"
	}
	return withTimeouts(url)
}

// withTimeouts bounds statements, lock waits and idle transactions on the
// app's connections (PostgreSQL leaves all three off), unless the URL sets
// them: one stuck lock holder must not stall the workers without limit.
//
// It also turns JIT compilation off. The app's statements are short; JIT
// pays only for long analytic queries, but PostgreSQL decides by the
// planner's cost estimate, and the claim's estimate grows with the queue
// (the queue's tables are rarely analyzed while they fill): with 12,000
// jobs queued, every claim was compiled, 60 to 80 ms each, and the queue
// ran 4 times slower than with 3,000.
func withTimeouts(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return dsn // keyword/value form: left as the operator wrote it
	}
	for _, p := range []string{"statement_timeout=30000", "lock_timeout=10000", "idle_in_transaction_session_timeout=60000", "jit=off"} {
		name, _, _ := strings.Cut(p, "=")
		if strings.Contains(dsn, name+"=") {
			continue
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + p
	}
	return dsn
}

// notFound maps GORM's not-found error to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

// Now is the clock that leases are written and compared with: the
// database's on PostgreSQL, so that instances whose clocks drift apart still
// agree on when a lease has expired; the process's on SQLite (one machine).
func (db *DB) Now(ctx context.Context) time.Time {
	if db.Dialect == Postgres {
		var now time.Time
		if err := db.g.WithContext(ctx).Raw("SELECT now()").Scan(&now).Error; err == nil && !now.IsZero() {
			return now.UTC()
		}
	}
	return time.Now().UTC()
}
