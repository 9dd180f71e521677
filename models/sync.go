package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Sync positions: every user-visible change to a user's jobs, notifications
// and documents bumps the user's counter (users.sync_position) in the same
// transaction, and stamps the changed row with the new value. Database
// triggers do it (migrations 00002 and, for a version a user saves, 00009),
// so no write path can forget it, and lease renewals, which change nothing
// visible, do not count. A tab that has seen everything up to position P
// catches up by reading the rows stamped after P: each row carries its
// current state, so the catch-up is the current state of what changed, not
// a log to replay. The user's row lock serialises the user's changes, so
// positions follow commit order: a reader that reads the counter first,
// then the rows, sees every change up to the counter.

// SyncReplayLimit is how many changed rows a catch-up carries before it
// gives way to a full resync.
const SyncReplayLimit = 200

// syncBoardLimit is how many ended jobs the live lists hold.
const syncBoardLimit = 100

// SyncState is what a tab needs to move from position From to To.
type SyncState struct {
	UserID   string
	From, To int64
	// Reset says From could not be resumed (unknown, ahead of the user's
	// position, or too far behind): Jobs and Notifications are then the
	// whole live state (the active jobs, and the notifications no tab has
	// shown yet), and a tab re-renders every region.
	Reset bool
	// Jobs changed after From, each with its documents and project name,
	// in position order.
	Jobs []JobSnapshot
	// Notifications changed after From, in position order.
	Notifications []Notification
	// UnshownOlder is, on a reset, how many notifications no tab had shown
	// at To are older than those in Notifications: a reset carries the
	// newest SyncReplayLimit unshown ones (in position order) and counts
	// the rest. A tab drops the announcements it holds that a reset does
	// not list (another tab acknowledged them while this one could not hear
	// it, or they are among the older ones), and may say the older ones
	// exist.
	UnshownOlder int
	// Libraries are the projects whose library gained a version after
	// From that no job wrote (a user's edit), in position order. A job's
	// versions come with the job's own change, in Jobs.
	Libraries []string
	// Projects are the projects saved after From with a change to what
	// they show or are fingerprinted from (a rename, new data: migration
	// 00018), with their names at the read, in position order. Their
	// libraries may mark other versions out of date, and their names show
	// wherever the project is named. On a reset, the user's most recently
	// changed projects (at most 100), whatever their position: the tab
	// re-renders its regions, and a list's names may be older than To.
	Projects []ProjectChange
	// ActiveJobs and Unread are the badge and the bell at To.
	ActiveJobs int
	Unread     int
}

// ProjectChange is a project's state as a catch-up carries it.
type ProjectChange struct {
	ID, Name     string
	SyncPosition int64
}

// SyncPosition is the user's current position: a page rendered after
// reading it streams from it.
func (db *DB) SyncPosition(ctx context.Context, userID string) (int64, error) {
	var pos []int64
	if err := db.g.WithContext(ctx).Raw(`SELECT sync_position FROM users WHERE id = ?`, userID).Scan(&pos).Error; err != nil {
		return 0, fmt.Errorf("sync position: %w", err)
	}
	if len(pos) == 0 {
		return 0, ErrNotFound
	}
	return pos[0], nil
}

// SyncSince reads what changed for the user after position since. The
// position is read first, then the rows: every change up to To is in them
// (rows changed after To may be too, stamped later; a tab applies each row
// once per stamp).
//
// A tab behind the user's last removal (the cleanup deleting old jobs or
// notifications, which leaves no row to catch up from) gets a reset.
func (db *DB) SyncSince(ctx context.Context, userID string, since int64) (*SyncState, error) {
	var heads []struct{ SyncPosition, SyncRemovedAt int64 }
	if err := db.g.WithContext(ctx).Raw(`SELECT sync_position, sync_removed_at FROM users WHERE id = ?`, userID).
		Scan(&heads).Error; err != nil {
		return nil, fmt.Errorf("sync position: %w", err)
	}
	if len(heads) == 0 {
		return nil, ErrNotFound
	}
	to := heads[0].SyncPosition
	st := &SyncState{UserID: userID, From: since, To: to}
	q := db.g.WithContext(ctx)
	var jobs []Job
	var notes []Notification
	var edits []Artifact
	var saved []Project
	var err error
	if since <= 0 || since > to || since < heads[0].SyncRemovedAt {
		st.Reset = true
	} else {
		if err := q.Where("user_id = ? AND sync_position > ?", userID, since).Order("sync_position").
			Limit(SyncReplayLimit + 1).Find(&jobs).Error; err != nil {
			return nil, fmt.Errorf("sync jobs: %w", err)
		}
		if err := q.Where("user_id = ? AND sync_position > ?", userID, since).Order("sync_position").
			Limit(SyncReplayLimit + 1).Find(&notes).Error; err != nil {
			return nil, fmt.Errorf("sync notifications: %w", err)
		}
		// The condition on job_id is the partial index's (00009).
		if err := q.Select("project_id", "sync_position").Where("user_id = ? AND job_id IS NULL AND sync_position > ?", userID, since).
			Order("sync_position").Limit(SyncReplayLimit + 1).Find(&edits).Error; err != nil {
			return nil, fmt.Errorf("sync edited documents: %w", err)
		}
		if err := q.Select("id", "name", "sync_position").Where("user_id = ? AND sync_position > ?", userID, since).
			Order("sync_position").Limit(SyncReplayLimit + 1).Find(&saved).Error; err != nil {
			return nil, fmt.Errorf("sync saved projects: %w", err)
		}
		st.Reset = len(jobs)+len(notes)+len(edits)+len(saved) > SyncReplayLimit
	}
	if st.Reset {
		jobs, notes, edits, saved = nil, nil, nil, nil
		if err := q.Where("user_id = ? AND status IN ?", userID, []string{StatusQueued, StatusProcessing}).
			Order("sync_position").Limit(syncBoardLimit).Find(&jobs).Error; err != nil {
			return nil, fmt.Errorf("sync active jobs: %w", err)
		}
		// The newest unshown ones: a tab toasts the latest news first, and
		// is told how many older ones there are.
		if err := q.Where("user_id = ? AND shown_at IS NULL", userID).Order("sync_position DESC").
			Limit(SyncReplayLimit + 1).Find(&notes).Error; err != nil {
			return nil, fmt.Errorf("sync unshown notifications: %w", err)
		}
		if len(notes) > SyncReplayLimit {
			notes = notes[:SyncReplayLimit]
			var all int64
			if err := q.Model(&Notification{}).Where("user_id = ? AND shown_at IS NULL", userID).Count(&all).Error; err != nil {
				return nil, fmt.Errorf("sync unshown count: %w", err)
			}
			// Counted after the list was read: one shown meanwhile may
			// make the count fall short of the list, never below none.
			st.UnshownOlder = max(int(all)-SyncReplayLimit, 0)
		}
		slices.Reverse(notes) // position order
		// The names of the projects a page may list (the most recently
		// changed), so that a list shows renames it could not follow.
		if err := q.Select("id", "name", "sync_position").Where("user_id = ?", userID).
			Order("updated_at DESC").Limit(syncBoardLimit).Find(&saved).Error; err != nil {
			return nil, fmt.Errorf("sync project names: %w", err)
		}
	}
	if st.Jobs, err = db.snapshotsOf(ctx, jobs, true); err != nil {
		return nil, err
	}
	if err := db.withProjectNames(ctx, notes); err != nil {
		return nil, err
	}
	st.Notifications = notes
	for _, a := range edits {
		if !slices.Contains(st.Libraries, a.ProjectID) {
			st.Libraries = append(st.Libraries, a.ProjectID)
		}
	}
	for _, p := range saved {
		st.Projects = append(st.Projects, ProjectChange{ID: p.ID, Name: p.Name, SyncPosition: p.SyncPosition})
	}
	if st.ActiveJobs, err = db.CountActiveJobs(ctx, userID); err != nil {
		return nil, fmt.Errorf("sync active count: %w", err)
	}
	if st.Unread, err = db.CountUnread(ctx, userID); err != nil {
		return nil, fmt.Errorf("sync unread: %w", err)
	}
	return st, nil
}

// ChangesProject reports whether the project's runs, library or heading
// may differ between From and To: a reset, a changed job of the project, a
// version a user saved in it, or a save of the project itself (its library
// marks the versions written from other data).
func (st *SyncState) ChangesProject(projectID string) bool {
	return st.Reset || slices.Contains(st.Libraries, projectID) ||
		slices.ContainsFunc(st.Projects, func(p ProjectChange) bool { return p.ID == projectID }) ||
		slices.ContainsFunc(st.Jobs, func(j JobSnapshot) bool { return j.Job.ProjectID == projectID })
}

// JobBoard is the user's jobs as the live lists show them: the dashboard's
// "In progress" and "Recent", the jobs list and its filters, a project's
// runs. The pages and the live updates render from the same board, so a
// list pushed live is the list a reload would show.
type JobBoard struct {
	UserID string
	// Active are the queued and processing jobs, with their documents,
	// newest first.
	Active []JobSnapshot
	// Ended are the latest ended jobs of each ended status (completed,
	// failed, cancelled: up to syncBoardLimit each), the latest ended first (endedOrder), without
	// documents: a filter by status shows that status's latest, not those
	// among the latest of all (a failure followed by 100 completions
	// vanished from the Failed tab). EndedWith picks a list's rows.
	Ended []JobSnapshot
}

// EndedWith is the board's ended jobs with the status, newest first; with
// "", the latest syncBoardLimit ended jobs of any status.
func (b *JobBoard) EndedWith(status string) []JobSnapshot {
	if status == "" {
		return b.Ended[:min(len(b.Ended), syncBoardLimit)]
	}
	var out []JobSnapshot
	for _, s := range b.Ended {
		if s.Job.Status == status {
			out = append(out, s)
		}
	}
	return out
}

// endedOrder orders ended jobs by when they ended, latest first: a run
// retried by hand keeps the time it was first queued, and when it ends it
// is the one that just ended. completed_at is set on every end; the queue
// time stands in should a row lack it, and orders runs that ended at once.
const endedOrder = "COALESCE(completed_at, queued_at) DESC, queued_at DESC, id"

// JobBoard loads the user's board.
func (db *DB) JobBoard(ctx context.Context, userID string) (*JobBoard, error) {
	q := db.g.WithContext(ctx)
	var active, ended []Job
	if err := q.Where("user_id = ? AND status IN ?", userID, []string{StatusQueued, StatusProcessing}).
		Order("queued_at DESC").Limit(syncBoardLimit).Find(&active).Error; err != nil {
		return nil, fmt.Errorf("board active jobs: %w", err)
	}
	// Each ended status's latest, in one statement (each arm in a
	// sub-query of its own: SQLite takes no LIMIT in a compound's arms,
	// and orders a compound by its columns only, not an expression).
	var arms []string
	var args []any
	for _, st := range []string{StatusCompleted, StatusFailed, StatusCancelled} {
		arms = append(arms, `SELECT * FROM (SELECT * FROM document_generation_jobs WHERE user_id = ? AND status = ?
			ORDER BY `+endedOrder+` LIMIT ?) AS `+st)
		args = append(args, userID, st, syncBoardLimit)
	}
	if err := q.Raw("SELECT * FROM ("+strings.Join(arms, " UNION ALL ")+") AS ended ORDER BY "+endedOrder, args...).Find(&ended).Error; err != nil {
		return nil, fmt.Errorf("board ended jobs: %w", err)
	}
	b := &JobBoard{UserID: userID}
	var err error
	if b.Active, err = db.snapshotsOf(ctx, active, true); err != nil {
		return nil, err
	}
	if b.Ended, err = db.snapshotsOf(ctx, ended, false); err != nil {
		return nil, err
	}
	return b, nil
}

// snapshotsOf completes jobs with their project names and, with docs, their
// documents, in three queries whatever their number.
func (db *DB) snapshotsOf(ctx context.Context, jobs []Job, docs bool) ([]JobSnapshot, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(jobs))
	var projects []string
	for i, j := range jobs {
		ids[i] = j.ID
		if !slices.Contains(projects, j.ProjectID) {
			projects = append(projects, j.ProjectID)
		}
	}
	var rows []struct{ ID, Name string }
	if err := db.g.WithContext(ctx).Raw(`SELECT id, name FROM projects WHERE id IN ?`, projects).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("project names: %w", err)
	}
	names := make(map[string]string, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	var byJob map[string][]JobDocument
	if docs {
		var err error
		if byJob, err = db.JobDocumentsFor(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]JobSnapshot, len(jobs))
	for i, j := range jobs {
		out[i] = JobSnapshot{Job: j, Documents: byJob[j.ID], ProjectName: names[j.ProjectID]}
	}
	return out, nil
}

// ProjectRunsLimit is how many runs a project page lists.
const ProjectRunsLimit = 20

// ProjectActivity is what a project page shows live: its runs, newest
// first, and its library, the latest version of each document. The page
// and its live updates render from the same reads.
type ProjectActivity struct {
	ProjectID string
	Runs      []Job
	Documents []DocumentVersion
	// Name is the project's, for its page's heading ("" when the project
	// is gone).
	Name string
	// Fingerprint is the project's current one: the library flags the
	// documents written from other data (Artifact.ProjectChanged).
	Fingerprint string
	// Gone says the project no longer exists (deleted).
	Gone bool
	// Project is the project as read with the activity (nil when gone):
	// its page shows its data, which a save elsewhere changes.
	Project *Project
}

// ProjectActivity reads the user's project's runs and library.
func (db *DB) ProjectActivity(ctx context.Context, userID, projectID string) (*ProjectActivity, error) {
	a := &ProjectActivity{ProjectID: projectID}
	var err error
	if a.Runs, err = db.Jobs(ctx, userID, JobFilter{ProjectID: projectID, Limit: ProjectRunsLimit}); err != nil {
		return nil, fmt.Errorf("project runs: %w", err)
	}
	if a.Documents, err = db.LatestDocuments(ctx, userID, projectID); err != nil {
		return nil, fmt.Errorf("project library: %w", err)
	}
	p, err := db.ProjectForUser(ctx, userID, projectID)
	switch {
	case err == nil:
		a.Name, a.Fingerprint, a.Project = p.Name, p.Fingerprint(), p
	case errors.Is(err, ErrNotFound):
		a.Gone = true
	default:
		return nil, fmt.Errorf("project fingerprint: %w", err)
	}
	return a, nil
}

// removedFor records, in the transaction that removes rows of these users,
// that their open tabs cannot catch up by rows: it bumps each one's
// position and marks it as a removal (users.sync_removed_at, migration
// 00016), so that a tab behind it gets a reset (SyncSince). The other
// instances hear of it from the transaction's NOTIFY; the caller tells its
// own once it is committed.
func (db *DB) removedFor(tx *gorm.DB, users []string) error {
	if len(users) == 0 {
		return nil
	}
	xact := ""
	if db.Dialect == Postgres {
		xact = ", sync_xact = pg_current_xact_id()"
	}
	if err := tx.Exec(`UPDATE users SET sync_position = sync_position + 1, sync_removed_at = sync_position + 1`+xact+`
		WHERE id IN ?`, users).Error; err != nil {
		return fmt.Errorf("sync removal: %w", err)
	}
	changes := make([]Change, len(users))
	for i, u := range users {
		changes[i] = Change{Kind: "user", UserID: u}
	}
	return db.notify(tx, changes)
}
