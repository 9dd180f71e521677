package models

// LoseNextCommitAck makes the next pipelined COMMIT's answer get lost, as
// when the connection drops after the COMMIT left: after the server
// committed, or (rollback) after it rolled back instead.
func LoseNextCommitAck(rollback bool) { commitFault.Store(&lostCommit{rollback: rollback}) }

// MigrationDSN is migrationDSN, for the test of the migrations' timeouts.
func MigrationDSN(url string) string { return migrationDSN(url) }
