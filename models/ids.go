package models

import "github.com/google/uuid"

// IsID reports whether s is an id as Dossier writes them: a UUID in its
// canonical form (lower case, hyphenated). Other spellings uuid.Parse
// accepts (urn:uuid:…, braces, upper case, no hyphens) are not ids here:
// PostgreSQL's uuid type reads some of them and rejects others, SQLite's
// text compares them as written, and an id must name the same thing, or
// nothing, on both.
func IsID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}
