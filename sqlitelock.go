package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"dossier/models"
)

// One SQLite file belongs to one dossier process: live progress, claims and
// cancels travel between the web and the worker side through memory, which a
// second process does not share. So `serve` holds an exclusive lock on the
// sidecar file PATH.lock for its whole life (the kernel drops it when the
// process dies, however it dies), and a second `serve` on the same file
// stops at once with one line. The lock is taken before the migrations run,
// so that two processes started together never migrate at the same time.
//
// The one-shot commands (migrate, user create, token create) take the same
// lock while they run. When a server holds it, `user` and `token` work on
// the server's database without migrating it (the server did), and
// `migrate` refuses: stop the server first. A server that finds a one-shot
// command holding the lock waits for it to finish.

// sqliteOwnerWait is how long a process waits for a one-shot command to let
// go of the lock.
const sqliteOwnerWait = 30 * time.Second

// servedError says a server holds the file's lock.
type servedError struct {
	path string
	pid  int
}

func (e *servedError) Error() string {
	return fmt.Sprintf("database %s is served by another dossier process%s", e.path, pidNote(e.pid))
}

func isServed(err error) bool {
	var e *servedError
	return errors.As(err, &e)
}

// sqliteLock is a held lock; Release lets go of it.
type sqliteLock struct {
	f    *os.File
	path string
}

// Release unlocks and closes the lock file. The file itself stays: removing
// it would let a third process lock a new file while a second one waits on
// the old one.
func (l *sqliteLock) Release() {
	if l != nil && l.f != nil {
		unlockFile(l.f)
		l.f.Close()
	}
}

// sqliteDBPath is the database file of a sqlite: URL, or "" for anything
// that is not a file (PostgreSQL, an in-memory database).
func sqliteDBPath(url string) string {
	dialect, dsn, err := models.ParseURL(url)
	if err != nil || dialect != models.SQLite {
		return ""
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" || path == ":memory:" || strings.Contains(query, "mode=memory") {
		return ""
	}
	return path
}

// lockSQLite takes the lock of the database at dbPath for command. A server
// ("serve") may hold it: then it returns a *servedError for one-shot
// commands and the one-line refusal for a second server.
func lockSQLite(dbPath, command string) (*sqliteLock, error) {
	if dir := filepath.Dir(dbPath); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	lockPath := dbPath + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", lockPath, err)
	}
	deadline := time.Now().Add(sqliteOwnerWait)
	for {
		ok, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", lockPath, err)
		}
		if ok {
			break
		}
		pid, holder := readOwner(lockPath)
		if holder == "serve" || time.Now().After(deadline) {
			f.Close()
			if command != "serve" && holder == "serve" {
				return nil, &servedError{path: dbPath, pid: pid}
			}
			return nil, fmt.Errorf("database %s is in use by another dossier process%s; SQLite allows one process per file: stop that one, or use PostgreSQL (DATABASE_URL=postgres://…) to run several", dbPath, pidNote(pid))
		}
		time.Sleep(50 * time.Millisecond) // a one-shot command holds it; it ends soon
	}
	// Say who holds it, for the message of the next one to try.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid=%d command=%s\n", os.Getpid(), command)), 0)
	}
	return &sqliteLock{f: f, path: lockPath}, nil
}

func readOwner(lockPath string) (pid int, command string) {
	b, err := os.ReadFile(lockPath)
	if err != nil {
		return 0, ""
	}
	_, _ = fmt.Sscanf(string(b), "pid=%d command=%s", &pid, &command)
	return pid, command
}

func pidNote(pid int) string {
	if pid == 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}
