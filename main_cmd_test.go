package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --help prints the usage (it used to start serve's flag parsing and exit
// 1), and migrate takes no arguments: `migrate --help` prints the usage and
// touches no database (it used to migrate).
func TestHelpAndMigrateArguments(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "dossier.db")
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return "sqlite:" + dbPath
		}
		return ""
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"migrate", "--help"}} {
		var out bytes.Buffer
		require.NoError(t, run(args, &out, getenv), "%v", args)
		assert.Contains(t, out.String(), "usage:", "%v", args)
	}
	_, err := os.Stat(dbPath)
	assert.True(t, os.IsNotExist(err), "no database was created: %v", err)

	var out bytes.Buffer
	err = run([]string{"migrate", "now"}, &out, getenv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "migrate takes no arguments")
}

// A command's --help (or -h) prints its flags on stdout and exits 0; it
// used to print them and exit 1 with "flag: help requested". It touches no
// database. A bad flag is still an error.
func TestSubcommandHelp(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "dossier.db")
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return "sqlite:" + dbPath
		}
		return ""
	}
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"serve", "--help"}, "-role"},
		{[]string{"serve", "-h"}, "-addr"},
		{[]string{"--role", "web", "--help"}, "-role"},
		{[]string{"user", "create", "--help"}, "-password"},
		{[]string{"user", "create", "--email", "a@example.com", "-h"}, "-admin"},
		{[]string{"user", "promote", "--help"}, "-email"},
		{[]string{"user", "demote", "--help"}, "-email"},
		{[]string{"token", "create", "--help"}, "-name"},
		{[]string{"user", "--help"}, "user promote"},
		{[]string{"user", "-h"}, "user demote"},
		{[]string{"token", "-h"}, "token create"},
	} {
		var out bytes.Buffer
		require.NoError(t, run(c.args, &out, getenv), "%v", c.args)
		assert.Contains(t, out.String(), c.flag, "%v", c.args)
	}
	_, err := os.Stat(dbPath)
	assert.True(t, os.IsNotExist(err), "no database was created: %v", err)

	var out bytes.Buffer
	err = run([]string{"token", "create", "--bogus"}, &out, getenv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "flag provided but not defined: -bogus")
}

// A one-shot command that stores something refuses an in-memory SQLite
// database, whose rows would be gone when it exits: `user create` reported
// a user that nobody could ever sign in as.
func TestCommandsRefuseAnInMemoryDatabase(t *testing.T) {
	for _, url := range []string{"sqlite::memory:", "sqlite:file:d?mode=memory&cache=shared"} {
		getenv := func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			return ""
		}
		for _, args := range [][]string{
			{"user", "create", "--email", "a@example.com", "--password", "correct horse"},
			{"user", "promote", "--email", "a@example.com"},
			{"user", "demote", "--email", "a@example.com"},
			{"token", "create", "--email", "a@example.com"},
		} {
			var out bytes.Buffer
			err := run(args, &out, getenv)
			require.Error(t, err, "%v on %s", args, url)
			assert.Contains(t, err.Error(), "in-memory SQLite", "%v on %s", args, url)
			assert.Empty(t, out.String(), "%v on %s", args, url)
		}
	}
}
