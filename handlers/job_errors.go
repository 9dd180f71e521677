package handlers

import (
	"github.com/gofiber/fiber/v2"

	"dossier/models"
)

// failureSummary reads a failed job's per-document failures (error_details)
// as people read them: the first failed document's plain sentence, named,
// and whether a retry cannot fix them (models' rule, RetryCannotHelp).
func failureSummary(snap *models.JobSnapshot) (summary string, noRetry bool) {
	j := &snap.Job
	if j.Status != models.StatusFailed || len(j.ErrorDetails) == 0 {
		return "", false
	}
	for _, d := range snap.Documents {
		detail, ok := j.ErrorDetails[d.DocumentType].(map[string]any)
		if !ok {
			continue
		}
		if s, _ := detail["summary"].(string); s != "" {
			summary = docTitle(d.DocumentType) + ": " + s
			break
		}
	}
	if summary == "" {
		// A storage failure or an older job: no sentence to show, and Retry
		// stays on offer.
		return "", false
	}
	return summary, j.RetryCannotHelp()
}

// notRetryable is the 409 of a retry the job's failure refuses
// (models.ErrNotRetryable), with the failure's plain sentence.
func (s *Server) notRetryable(c *fiber.Ctx) error {
	snap, err := s.userSnapshot(c, c.Params("id"))
	if err != nil {
		return err
	}
	summary, _ := failureSummary(snap)
	if summary != "" {
		summary += " "
	}
	return &Error{Status: fiber.StatusConflict, Code: "not_retryable",
		Message: "a retry cannot fix this failure. " + summary + "Fix the cause, then start a new generation.",
		Extra:   map[string]any{"status": snap.Job.Status}}
}
