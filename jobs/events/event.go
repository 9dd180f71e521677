// Package events fans out job state changes to every subscriber in the
// process, and, on PostgreSQL, to every other instance through LISTEN/NOTIFY.
// It knows nothing of documents or HTTP.
package events

// Kind says what changed.
type Kind string

const (
	// JobChanged: status, progress or a document of the job changed.
	JobChanged Kind = "job"
	// CancelRequested: the job's owner asked to cancel it; the instance that
	// runs it aborts its in-flight calls.
	CancelRequested Kind = "cancel"
	// JobQueued: a job was created or requeued; processors on every
	// instance try to claim it at once.
	JobQueued Kind = "queued"
	// UserChanged: something of the user other than a job changed (a
	// notification was shown or read); JobID is empty.
	UserChanged Kind = "user"
	// AccessEnded: a sign-in ended (a logout, a revoked API token). Every
	// instance ends the open streams it authorised; Access names it. JobID
	// and UserID are empty: it moves no state.
	AccessEnded Kind = "ended"
)

// Event names a change by ids only, so it is small enough for a NOTIFY
// payload (far below 8000 bytes). UserID should be set: a user's streams
// follow the user's sync positions, and an event without it costs a job
// load to learn the owner. Subscribers receive it with the state loaded
// once per instance.
type Event struct {
	Kind    Kind   `json:"k"`
	JobID   string `json:"j"`
	UserID  string `json:"u"`
	Version int64  `json:"v"`
	// Origin is the publishing instance; the bridge ignores its own.
	Origin string `json:"o,omitempty"`
	// Access, for AccessEnded, names the sign-in that ended by an id that
	// grants nothing: a session's id (the SHA-256 of its cookie) or an API
	// token's id, never the cookie or the token.
	Access string `json:"a,omitempty"`
}
