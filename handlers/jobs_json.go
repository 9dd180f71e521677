package handlers

import (
	"time"

	"dossier/jobs/documents"
	"dossier/models"
)

// JobDocumentJSON is one document of a job in the API.
type JobDocumentJSON struct {
	Type             string     `json:"type"`
	Title            string     `json:"title"`
	Status           string     `json:"status"`
	Attempts         int        `json:"attempts"`
	ArtifactID       *string    `json:"artifactId"`
	Error            *string    `json:"error"`
	StartedAt        *time.Time `json:"startedAt"`
	CompletedAt      *time.Time `json:"completedAt"`
	DurationMS       *int64     `json:"durationMs"`
	PromptTokens     int        `json:"promptTokens"`
	CompletionTokens int        `json:"completionTokens"`
}

// JobJSON is a job in the API: the original analysis's fields, plus the
// per-document checkpoints.
type JobJSON struct {
	ID                  string            `json:"id"`
	RunNumber           int               `json:"runNumber"`
	ProjectID           string            `json:"projectId"`
	ProjectName         string            `json:"projectName,omitempty"`
	Status              string            `json:"status"`
	Priority            string            `json:"priority"`
	Progress            int               `json:"progress"`
	CurrentDocument     *string           `json:"currentDocument"`
	CompletedDocuments  int               `json:"completedDocuments"`
	TotalDocuments      int               `json:"totalDocuments"`
	Documents           []JobDocumentJSON `json:"documents"`
	GeneratedArtifacts  []string          `json:"generatedArtifacts"`
	QueuedAt            time.Time         `json:"queuedAt"`
	StartedAt           *time.Time        `json:"startedAt"`
	CompletedAt         *time.Time        `json:"completedAt"`
	EstimatedCompletion *time.Time        `json:"estimatedCompletion"`
	RetryCount          int               `json:"retryCount"`
	MaxRetries          int               `json:"maxRetries"`
	// ResumesAt is when a job waiting for its automatic retry runs again
	// (no earlier than a provider's Retry-After).
	ResumesAt         *time.Time     `json:"resumesAt,omitempty"`
	CancelRequested   bool           `json:"cancelRequested"`
	Error             *string        `json:"error"`
	ErrorDetails      map[string]any `json:"errorDetails,omitempty"`
	Version           int64          `json:"version"`
	Instruction       string         `json:"instruction"`
	IncludeDependents bool           `json:"includeDependents"`
}

// docTitle is a document type's catalog title.
func docTitle(t string) string {
	if dt, ok := documents.Lookup(t); ok {
		return dt.Title
	}
	return t
}

// NewJobJSON maps a job snapshot to its API shape.
func NewJobJSON(s *models.JobSnapshot) JobJSON {
	j := s.Job
	out := JobJSON{
		ID: j.ID, ProjectID: j.ProjectID, ProjectName: s.ProjectName, Status: j.Status,
		Priority: models.PriorityName(j.Priority), Progress: j.ProgressPercentage,
		CurrentDocument: j.CurrentDocument, CompletedDocuments: j.CompletedDocuments,
		TotalDocuments: j.TotalDocuments, GeneratedArtifacts: j.GeneratedArtifacts,
		QueuedAt: j.QueuedAt, StartedAt: j.StartedAt, CompletedAt: j.CompletedAt,
		EstimatedCompletion: j.EstimatedCompletion, RetryCount: j.RetryCount, MaxRetries: j.MaxRetries,
		CancelRequested: j.CancelRequestedAt != nil, Error: j.ErrorMessage, ErrorDetails: j.ErrorDetails,
		Version: j.Version, RunNumber: j.RunNumber, Instruction: j.Instruction, IncludeDependents: j.IncludeDependents,
		Documents: make([]JobDocumentJSON, 0, len(s.Documents)),
	}
	if j.Status == models.StatusQueued && j.RetryCount > 0 {
		at := j.RunAt
		out.ResumesAt = &at
	}
	if out.GeneratedArtifacts == nil {
		out.GeneratedArtifacts = []string{}
	}
	for _, d := range s.Documents {
		out.Documents = append(out.Documents, JobDocumentJSON{
			Type: d.DocumentType, Title: docTitle(d.DocumentType), Status: d.Status, Attempts: d.Attempts,
			ArtifactID: d.ArtifactID, Error: d.Error, StartedAt: d.StartedAt, CompletedAt: d.CompletedAt,
			DurationMS: d.DurationMS, PromptTokens: d.PromptTokens, CompletionTokens: d.CompletionTokens,
		})
	}
	return out
}
