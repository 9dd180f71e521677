package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Artifact sources: every version of a document is an artifact, written by
// a job or edited by a user.
const (
	SourceGenerated = "generated"
	SourceEdited    = "edited"
)

// Artifact is one version of a document. Versions are numbered per
// (project, document type) and unique on that triple; the latest version is
// what the project's library shows and what dependent documents read. A
// generated version is also unique on (job_id, document_type): a job stores
// each of its documents exactly once.
type Artifact struct {
	ID               string `gorm:"primaryKey"`
	JobID            *string
	ProjectID        string
	UserID           string
	DocumentType     string
	Title            string
	Markdown         string
	Version          int
	PromptTokens     int
	CompletionTokens int
	// Source is SourceGenerated or SourceEdited.
	Source string
	// AuthorID is the user who saved an edited version.
	AuthorID *string
	// Instruction is the regeneration instruction the version was written
	// with, if any.
	Instruction string
	// SourceHash is the Fingerprint of the project data and company pack
	// the version was written from: its job's, or for an edit its base
	// version's (ProjectChanged). Nil for versions written before
	// migration 00017.
	SourceHash *string
	CreatedAt  time.Time
	// SyncPosition is the owner's sync position when a user saved the
	// version (models/sync.go); set by the database, never written. A
	// version a job wrote has 0: its job's change carries it.
	SyncPosition int64 `gorm:"->"`
}

// BeforeCreate makes a version without a source a generated one.
func (a *Artifact) BeforeCreate(*gorm.DB) error {
	if a.Source == "" {
		a.Source = SourceGenerated
	}
	return nil
}

// DocumentVersion is an artifact with what a version list shows beside it.
type DocumentVersion struct {
	Artifact
	// RunNumber is the job's per-project number; nil for edits. Once
	// retention has removed the job, the number the cleanup kept on the
	// artifact (kept_run_number, migration 00013).
	RunNumber  *int
	AuthorName *string
}

// ArtifactForUser returns the artifact if the user owns it.
func (db *DB) ArtifactForUser(ctx context.Context, userID, id string) (*Artifact, error) {
	var a Artifact
	if !IsID(id) {
		return nil, ErrNotFound
	}
	if err := db.g.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Take(&a).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

func (db *DB) artifactByID(ctx context.Context, id string) (*Artifact, error) {
	var a Artifact
	if err := db.g.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// JobArtifacts returns a job's artifacts in generation order.
func (db *DB) JobArtifacts(ctx context.Context, jobID string) ([]Artifact, error) {
	var as []Artifact
	err := db.g.WithContext(ctx).Raw(`SELECT a.* FROM artifacts a
		JOIN job_documents d ON d.job_id = a.job_id AND d.document_type = a.document_type
		WHERE a.job_id = ? ORDER BY d.position`, jobID).Scan(&as).Error
	if err != nil {
		return nil, fmt.Errorf("job artifacts: %w", err)
	}
	return as, nil
}

// ProjectArtifacts returns the latest version of each document of a project.
func (db *DB) ProjectArtifacts(ctx context.Context, userID, projectID string) ([]Artifact, error) {
	vs, err := db.LatestDocuments(ctx, userID, projectID)
	if err != nil {
		return nil, err
	}
	as := make([]Artifact, len(vs))
	for i, v := range vs {
		as[i] = v.Artifact
	}
	return as, nil
}

const versionColumns = `SELECT a.*, COALESCE(j.run_number, a.kept_run_number) AS run_number, u.name AS author_name FROM artifacts a
	LEFT JOIN document_generation_jobs j ON j.id = a.job_id
	LEFT JOIN users u ON u.id = a.author_id `

// LatestDocuments returns the latest version of each of the project's
// documents, oldest first: the project's library.
func (db *DB) LatestDocuments(ctx context.Context, userID, projectID string) ([]DocumentVersion, error) {
	if !IsID(projectID) {
		return nil, nil
	}
	var vs []DocumentVersion
	err := db.g.WithContext(ctx).Raw(versionColumns+`
		WHERE a.user_id = ? AND a.project_id = ? AND a.version = (
			SELECT MAX(b.version) FROM artifacts b
			WHERE b.project_id = a.project_id AND b.document_type = a.document_type)
		ORDER BY a.created_at, a.document_type`, userID, projectID).Scan(&vs).Error
	if err != nil {
		return nil, fmt.Errorf("latest documents: %w", err)
	}
	return vs, nil
}

// DocumentVersions returns every version of one of the project's
// documents, newest first.
func (db *DB) DocumentVersions(ctx context.Context, userID, projectID, docType string) ([]DocumentVersion, error) {
	if !IsID(projectID) {
		return nil, nil
	}
	var vs []DocumentVersion
	err := db.g.WithContext(ctx).Raw(versionColumns+`
		WHERE a.user_id = ? AND a.project_id = ? AND a.document_type = ?
		ORDER BY a.version DESC`, userID, projectID, docType).Scan(&vs).Error
	if err != nil {
		return nil, fmt.Errorf("document versions: %w", err)
	}
	return vs, nil
}

// StaleBaseError says an edit was based on a version that is no longer the
// latest: someone saved (or a job wrote) a newer one in between.
type StaleBaseError struct {
	// LatestID is the version the edit would now overwrite.
	LatestID      string
	LatestVersion int
}

func (e *StaleBaseError) Error() string {
	return fmt.Sprintf("the document has a newer version (%d) than the one edited", e.LatestVersion)
}

// UnchangedError: an edit of the latest version leaves its text as it is,
// word for word. Nothing is stored: an identical version would only
// lengthen the history.
type UnchangedError struct {
	// LatestID is the version the text already is.
	LatestID      string
	LatestVersion int
}

func (e *UnchangedError) Error() string {
	return fmt.Sprintf("the text is version %d's: nothing to save", e.LatestVersion)
}

// NewEdit is a user's edit of a document.
type NewEdit struct {
	UserID       string
	ProjectID    string
	DocumentType string
	Title        string
	Markdown     string
	// BaseArtifactID is the version the user edited; it must still be the
	// latest, else the save is refused with *StaleBaseError.
	BaseArtifactID string
	// SourceArtifactID, when set and not the base, is the version the text
	// was edited from: a save made again on top of the version that
	// refused it (a conflict) carries text written from an older one. The
	// edit keeps the source's fingerprint, not the base's, so that text
	// with out-of-date figures stays marked. It must be a version of the
	// same document (else ErrSourceNotVersion).
	SourceArtifactID string
}

// ErrSourceNotVersion: NewEdit.SourceArtifactID is not a version of the
// edited document.
var ErrSourceNotVersion = errors.New("the source is not a version of this document")

// ErrBaseNotVersion: NewEdit.BaseArtifactID is not a version of the edited
// document (an older version is a StaleBaseError instead).
var ErrBaseNotVersion = errors.New("the base is not a version of this document")

// SaveEdit stores an edited version as the document's next version. The
// check that the base is the latest and the insert happen under the
// project's version lock, and the unique (project, type, version) index
// turns any race that slips past it into *StaleBaseError, never into a
// silent overwrite. The insert moves the user's sync position (migration
// 00009): tell the user's streams once it returns.
//
// An edit of the latest version that leaves its text as it is stores
// nothing (*UnchangedError). A queued or processing run that has yet to
// write the document refuses the edit (*ActiveJobError): the run's version
// would bury it the moment it was written.
func (db *DB) SaveEdit(ctx context.Context, in NewEdit) (*Artifact, error) {
	var art *Artifact
	err := db.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockProjectVersions(tx, db.Dialect, in.ProjectID); err != nil {
			return err
		}
		var latest Artifact
		err := tx.Where("user_id = ? AND project_id = ? AND document_type = ?", in.UserID, in.ProjectID, in.DocumentType).
			Order("version DESC").Limit(1).Take(&latest).Error
		if err != nil {
			return notFound(err)
		}
		if latest.ID != in.BaseArtifactID {
			// An older version of the document was edited: a conflict.
			// Anything else (an id of nothing, of another document) is
			// not a base at all, and no reload would mend it.
			if !IsID(in.BaseArtifactID) {
				return ErrBaseNotVersion
			}
			var n int64
			if err := tx.Model(&Artifact{}).Where("id = ? AND user_id = ? AND project_id = ? AND document_type = ?",
				in.BaseArtifactID, in.UserID, in.ProjectID, in.DocumentType).Count(&n).Error; err != nil {
				return fmt.Errorf("base version: %w", err)
			}
			if n == 0 {
				return ErrBaseNotVersion
			}
			return &StaleBaseError{LatestID: latest.ID, LatestVersion: latest.Version}
		}
		if in.Markdown == latest.Markdown {
			return &UnchangedError{LatestID: latest.ID, LatestVersion: latest.Version}
		}
		active, err := runWriting(tx, in.ProjectID, in.DocumentType)
		if err != nil {
			return err
		}
		if active != nil {
			return active
		}
		hash := latest.SourceHash
		if in.SourceArtifactID != "" && in.SourceArtifactID != latest.ID {
			if !IsID(in.SourceArtifactID) {
				return ErrSourceNotVersion
			}
			var src []Artifact
			if err := tx.Select("source_hash").Where("id = ? AND user_id = ? AND project_id = ? AND document_type = ?",
				in.SourceArtifactID, in.UserID, in.ProjectID, in.DocumentType).Limit(1).Find(&src).Error; err != nil {
				return fmt.Errorf("source version: %w", err)
			}
			if len(src) == 0 {
				return ErrSourceNotVersion
			}
			hash = src[0].SourceHash
		}
		author := in.UserID
		art = &Artifact{
			ID: uuid.NewString(), ProjectID: in.ProjectID, UserID: in.UserID, DocumentType: in.DocumentType,
			Title: in.Title, Markdown: in.Markdown, Version: latest.Version + 1, Source: SourceEdited,
			AuthorID: &author, CreatedAt: time.Now().UTC(),
			// An edit changes the text, not the figures it was written
			// from: it keeps its base's (or source's) fingerprint, so that
			// an edit of an out-of-date version is still flagged (with
			// none, a typo fix would hide it).
			SourceHash: hash,
		}
		if art.Title == "" {
			art.Title = latest.Title
		}
		if err := tx.Create(art).Error; err != nil {
			if IsUniqueViolation(err) {
				return &StaleBaseError{LatestID: latest.ID, LatestVersion: latest.Version + 1}
			}
			return err
		}
		return nil
	})
	var (
		stale     *StaleBaseError
		unchanged *UnchangedError
		active    *ActiveJobError
	)
	if errors.As(err, &stale) || errors.As(err, &unchanged) || errors.As(err, &active) ||
		errors.Is(err, ErrNotFound) || errors.Is(err, ErrSourceNotVersion) || errors.Is(err, ErrBaseNotVersion) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("save edit: %w", err)
	}
	return art, nil
}

// runWriting is the project's queued or processing run that has yet to
// write docType (its document pending or being generated), as an
// *ActiveJobError, or nil. Call it under lockProjectVersions: a run's
// version is numbered under the same lock.
func runWriting(tx *gorm.DB, projectID, docType string) (*ActiveJobError, error) {
	var rows []struct {
		ID        string
		RunNumber int
	}
	err := tx.Raw(`SELECT j.id, j.run_number FROM document_generation_jobs j
		JOIN job_documents d ON d.job_id = j.id
		WHERE j.project_id = ? AND j.status IN ? AND d.document_type = ? AND d.status IN ?
		LIMIT 1`, projectID, []string{StatusQueued, StatusProcessing}, docType,
		[]string{DocPending, DocGenerating}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("active run: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &ActiveJobError{JobID: rows[0].ID, RunNumber: rows[0].RunNumber}, nil
}

// lockProjectVersions serialises the writers that number a project's
// versions and runs. On PostgreSQL it takes the project row FOR NO KEY
// UPDATE, which does not block foreign-key checks of inserts that reference
// the project; SQLite transactions are serialised already (one connection,
// immediate transactions).
//
// It takes the owner's sync-position row first: every writer locks a
// user's row before the user's projects' rows. The group commit does
// (lockJobsUsers, then lockJobsProjects); a save or a new run that took the
// project first, then the user's row in its sync-position trigger, could
// deadlock with it.
func lockProjectVersions(tx *gorm.DB, dialect Dialect, projectID string) error {
	if dialect != Postgres {
		return nil
	}
	err := lockUsers(tx, dialect, `SELECT user_id FROM projects WHERE id = ?`, projectID)
	if err == nil {
		err = tx.Exec(`SELECT id FROM projects WHERE id = ? FOR NO KEY UPDATE`, projectID).Error
	}
	if err != nil {
		return fmt.Errorf("lock project %s: %w", projectID, err)
	}
	return nil
}

// nextVersion is the number the project's next version of docType gets.
// Call it after lockProjectVersions, in the same transaction.
func nextVersion(tx *gorm.DB, projectID, docType string) (int, error) {
	var v int
	err := tx.Raw(`SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts
		WHERE project_id = ? AND document_type = ?`, projectID, docType).Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("next version: %w", err)
	}
	return v, nil
}

// nextRunNumber takes the project's next run number from its counter
// (projects.last_run_number, migration 00012), under the same lock: the
// cleanup removes old jobs, and numbers read from the jobs left would be
// given again. The counter never goes below a number a job holds.
func nextRunNumber(tx *gorm.DB, dialect Dialect, projectID string) (int, error) {
	if err := lockProjectVersions(tx, dialect, projectID); err != nil {
		return 0, err
	}
	greatest := "GREATEST"
	if dialect == SQLite {
		greatest = "MAX" // SQLite's scalar max
	}
	var n []int
	err := tx.Raw(`UPDATE projects SET last_run_number = `+greatest+`(last_run_number,
		    (SELECT COALESCE(MAX(run_number), 0) FROM document_generation_jobs WHERE project_id = ?)) + 1
		WHERE id = ? RETURNING last_run_number`, projectID, projectID).Scan(&n).Error
	switch {
	case err != nil:
		return 0, fmt.Errorf("next run number: %w", err)
	case len(n) == 0:
		return 0, fmt.Errorf("next run number: project %s: %w", projectID, ErrNotFound)
	}
	return n[0], nil
}
