package models

import (
	"database/sql/driver"
	"time"
)

// JobHistory is what a job went through before its current run: one entry
// per manual retry, oldest first (a job's column `history`).
type JobHistory []JobEpisode

// JobEpisode is an earlier end of a job and the retry that followed it.
type JobEpisode struct {
	// Status is how that run ended: cancelled or failed.
	Status string `json:"status"`
	// EndedAt is when it ended (nil if unknown); RetriedAt when it was
	// queued again.
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	RetriedAt time.Time  `json:"retriedAt"`
	// CompletedDocuments of TotalDocuments were written by then.
	CompletedDocuments int `json:"completedDocuments"`
	TotalDocuments     int `json:"totalDocuments"`
	// Error is the failure's message, for a failed run.
	Error string `json:"error,omitempty"`
}

func (h JobHistory) Value() (driver.Value, error) {
	if h == nil {
		return "[]", nil
	}
	return jsonValue(h)
}
func (h *JobHistory) Scan(src any) error { return jsonScan(src, h) }

// episode is the entry a manual retry of the job records.
func (j *Job) episode(retriedAt time.Time) JobEpisode {
	e := JobEpisode{Status: j.Status, EndedAt: j.CompletedAt, RetriedAt: retriedAt,
		CompletedDocuments: j.CompletedDocuments, TotalDocuments: j.TotalDocuments}
	if j.ErrorMessage != nil {
		e.Error = *j.ErrorMessage
	}
	return e
}
