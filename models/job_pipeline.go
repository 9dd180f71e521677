package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// The hot paths of the queue on PostgreSQL (the claim and the group commit)
// send their statements pipelined: a transaction's statements go out
// together and come back together, two round trips per transaction instead
// of one per statement. Round trips are what a busy machine makes slow, and
// every one of them is time during which the transaction holds its row locks
// (the users' sync-position rows among them), which other transactions of
// the same users wait for. Parameters are text, typed by the SQL's casts,
// and a batch passes each column as one array, so every statement has one
// text whatever the batch's size: each is prepared once per connection
// (newPipeline), then only bound and executed. SQLite keeps the GORM
// transactions.

// textArray is a list of ids passed as one PostgreSQL array parameter
// (`= ANY(?::uuid[])`), where GORM would expand a slice into a list.
type textArray []string

// Value writes the array literal, for GORM's path.
func (a textArray) Value() (driver.Value, error) { return arrayLiteral(a), nil }

func arrayLiteral(a []string) string { return string(appendArray(nil, a)) }

// appendArray appends the array literal of a to dst: the pipeline's
// parameters are bytes, written once.
func appendArray(dst []byte, a []string) []byte {
	dst = slices.Grow(dst, literalSize(a))
	dst = append(dst, '{')
	for i, s := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendElement(dst, s)
	}
	return append(dst, '}')
}

// appendElement appends one quoted array element, with its backslashes and
// quotes escaped.
func appendElement(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for {
		i := strings.IndexAny(s, `\"`)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, '\\', s[i])
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

// literalSize is the length of the array literal of a without escapes.
func literalSize(a []string) int {
	n := 2
	for _, s := range a {
		n += len(s) + 3
	}
	return n
}

// nullableArray is one column of a batch as a PostgreSQL array of text
// elements (nil is NULL), cast to the column's type by the SQL.
type nullableArray []*string

// Value writes the array literal, for GORM's path.
func (a nullableArray) Value() (driver.Value, error) { return string(a.appendTo(nil)), nil }

// appendTo appends the array literal of a to dst.
func (a nullableArray) appendTo(dst []byte) []byte {
	n := 2
	for _, s := range a {
		if n += 5; s != nil {
			n += len(*s)
		}
	}
	dst = slices.Grow(dst, n)
	dst = append(dst, '{')
	for i, s := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		if s == nil {
			dst = append(dst, "NULL"...)
			continue
		}
		dst = appendElement(dst, *s)
	}
	return append(dst, '}')
}

// pipeline is one connection's pipelined statements.
type pipeline struct {
	ctx   context.Context
	conn  *pgx.Conn
	names *preparedNames
	batch pgconn.Batch
	n     int
}

// newPipeline starts a pipeline on c, whose statements with parameters are
// prepared on the connection (once; later batches only bind and execute):
// parsing and planning the claim and the commit's statements cost more
// than executing them for a small batch. A prepared statement's plan is
// re-planned with its parameters for its first executions, then PostgreSQL
// keeps a generic plan if it costs no more (plan_cache_mode).
func (db *DB) newPipeline(ctx context.Context, c *pgx.Conn) *pipeline {
	return &pipeline{ctx: ctx, conn: c, names: &db.prepared}
}

// preparedNames names the statements the pipelines prepare. Statement
// texts are a fixed set (batches pass arrays, not lists of placeholders);
// past maxPrepared distinct texts, a new text runs unprepared, so that a
// text that varied by mistake could not fill every connection with
// statements.
type preparedNames struct {
	mu    sync.Mutex
	names map[string]string
	full  bool // the limit was reached (and logged)
}

const maxPrepared = 64

func (p *preparedNames) name(query string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.names[query]; ok {
		return n, true
	}
	if len(p.names) >= maxPrepared {
		if !p.full {
			p.full = true
			slog.Warn("pipeline: more statement texts than prepared statements; the rest run unprepared", "limit", maxPrepared)
		}
		return "", false
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	h := fnv.New64a()
	h.Write([]byte(query))
	n := "dossier_" + strconv.FormatUint(h.Sum64(), 36)
	p.names[query] = n
	return n, true
}

// withPgx runs fn on one connection of the pool, as pgx sees it.
func (db *DB) withPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	sqlDB, err := db.g.DB()
	if err != nil {
		return err
	}
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipeline: driver connection is %T, not pgx", dc)
		}
		return fn(sc.Conn())
	})
}

// queue adds a statement written with GORM's `?` placeholders.
func (p *pipeline) queue(query string, args ...any) error {
	values := make([][]byte, len(args))
	for i, a := range args {
		v, err := pgText(a)
		if err != nil {
			return fmt.Errorf("pipeline: argument %d: %w", i+1, err)
		}
		values[i] = v
	}
	q := numbered(query)
	if len(args) > 0 && p.names != nil {
		if name, ok := p.names.name(q); ok {
			// Prepare is a no-op for a statement this connection has.
			if _, err := p.conn.Prepare(p.ctx, name, q); err != nil {
				return fmt.Errorf("pipeline: prepare: %w", err)
			}
			p.batch.ExecPrepared(name, values, nil, nil)
			p.n++
			return nil
		}
	}
	p.batch.ExecParams(q, values, nil, nil, nil)
	p.n++
	return nil
}

// send runs the queued statements in one round trip and returns their
// results, in order. The first error (of the server, or of the connection)
// is returned; statements after a failed one did not run.
func (p *pipeline) send(ctx context.Context) ([]*pgconn.Result, error) {
	batch := p.batch
	p.batch, p.n = pgconn.Batch{}, 0
	res, err := p.conn.PgConn().ExecBatch(ctx, &batch).ReadAll()
	for _, r := range res {
		if r.Err != nil {
			err = r.Err
			break
		}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && isStalePrepared(pgErr) {
		// The connection's prepared statements no longer fit the schema
		// (another instance migrated it) or are gone: the connection is
		// closed, so that the pool drops it and the retry prepares them
		// on another.
		p.conn.Close(context.Background())
	}
	return res, err
}

// isStalePrepared says a prepared statement of the connection cannot run:
// its result type changed under it ("cached plan must not change result
// type", after a migration of another instance) or it does not exist (a
// pooler in front of PostgreSQL that does not keep prepared statements).
func isStalePrepared(e *pgconn.PgError) bool {
	return e.Code == "0A000" && strings.Contains(e.Message, "cached plan") || e.Code == "26000"
}

// rollback ends a failed pipelined transaction. A connection that cannot
// even roll back is closed, so that the pool never hands it out in a
// transaction.
func (p *pipeline) rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.conn.PgConn().Exec(ctx, "ROLLBACK").Close(); err != nil {
		p.conn.Close(ctx)
	}
}

// scan reads column i of a result row into dst, by the column's type.
func (p *pipeline) scan(r *pgconn.Result, row, col int, dst any) error {
	fd := r.FieldDescriptions[col]
	return p.conn.TypeMap().Scan(fd.DataTypeOID, fd.Format, r.Rows[row][col], dst)
}

// numbered turns GORM's `?` placeholders into `$n`. The statements of this
// package that are pipelined have no `?` anywhere else. Their texts are a
// fixed set, so each is rewritten once (up to a bound).
func numbered(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	if n, ok := numberedTexts.Load(q); ok {
		return n.(string)
	}
	n := renumber(q)
	if numberedCount.Add(1) <= 4*maxPrepared {
		numberedTexts.Store(q, n)
	}
	return n
}

var (
	numberedTexts sync.Map // GORM text → numbered text
	numberedCount atomic.Int64
)

func renumber(q string) string {
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// pgText encodes a parameter in PostgreSQL's text format; nil is NULL.
func pgText(a any) ([]byte, error) {
	switch v := a.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	case *string:
		if v == nil {
			return nil, nil
		}
		return []byte(*v), nil
	case int:
		return strconv.AppendInt(nil, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(nil, v, 10), nil
	case bool:
		if v {
			return []byte("t"), nil
		}
		return []byte("f"), nil
	case time.Time:
		return v.UTC().AppendFormat(nil, "2006-01-02 15:04:05.999999Z07:00"), nil
	case *time.Time:
		if v == nil {
			return nil, nil
		}
		return pgText(*v)
	case textArray:
		return appendArray(nil, v), nil
	case nullableArray:
		return v.appendTo(nil), nil
	case []string:
		return appendArray(nil, v), nil
	case driver.Valuer:
		x, err := v.Value()
		if err != nil {
			return nil, err
		}
		return pgText(x)
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("pipeline: cannot encode %T", a)
}

// errFenceMissed says a pipelined commit found a write without its lease:
// the batch is rolled back and committed the careful way.
var errFenceMissed = errors.New("a write of the batch lost its fence")
