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
