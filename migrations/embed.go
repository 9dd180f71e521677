// Package migrations holds the versioned SQL schema, one folder per dialect,
// embedded into the binary and applied with goose at start and by
// `dossier migrate`.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
