package handlers

import (
	"maps"
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
	// History is how the job's earlier runs ended, one entry per manual
	// retry, oldest first; empty for a job never retried. The job page
	// tells the same story.
	History []JobEpisodeJSON `json:"history"`
}

// JobEpisodeJSON is one earlier end of a job and the retry that followed.
type JobEpisodeJSON struct {
	Status             string     `json:"status"`
	EndedAt            *time.Time `json:"endedAt"`
	RetriedAt          time.Time  `json:"retriedAt"`
	CompletedDocuments int        `json:"completedDocuments"`
	TotalDocuments     int        `json:"totalDocuments"`
	Error              *string    `json:"error"`
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
		CancelRequested: j.CancelRequestedAt != nil, Error: j.ErrorMessage, ErrorDetails: currentDetails(j.ErrorDetails),
		Version: j.Version, RunNumber: j.RunNumber, Instruction: j.Instruction, IncludeDependents: j.IncludeDependents,
		Documents: make([]JobDocumentJSON, 0, len(s.Documents)),
		History:   make([]JobEpisodeJSON, 0, len(j.History)),
	}
	if j.Status == models.StatusQueued && j.RetryCount > 0 {
		at := j.RunAt
		out.ResumesAt = &at
	}
	if out.GeneratedArtifacts == nil {
		out.GeneratedArtifacts = []string{}
	}
	for _, e := range j.History {
		ep := JobEpisodeJSON{Status: e.Status, EndedAt: e.EndedAt, RetriedAt: e.RetriedAt,
			CompletedDocuments: e.CompletedDocuments, TotalDocuments: e.TotalDocuments}
		if e.Error != "" {
			ep.Error = &e.Error
		}
		out.History = append(out.History, ep)
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

// currentDetails is a failed job's error_details as the API shows them:
// each document's summary, the sentence for a person, as today's version
// says it (storedSummary, as the pages show it), since a job failed under
// an older version keeps that version's sentence, and some named a
// setting (OPENAI_API_KEY…) that users must not read. The error beside it
// is the technical detail, as recorded. A copy: the snapshot is shared.
func currentDetails(details map[string]any) map[string]any {
	if len(details) == 0 {
		return details
	}
	out := make(map[string]any, len(details))
	for typ, v := range details {
		if d, ok := v.(map[string]any); ok {
			if _, has := d["summary"].(string); has {
				d = maps.Clone(d)
				d["summary"] = storedSummary(d)
				v = d
			}
		}
		out[typ] = v
	}
	return out
}
