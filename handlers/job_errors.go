package handlers

import (
	"github.com/gofiber/fiber/v2"

	"dossier/models"
)

// failureSummary reads a failed job's per-document failures (error_details)
// as people read them: the first failed document's plain sentence, named,
// and whether every failure is one that a retry cannot fix.
func failureSummary(snap *models.JobSnapshot) (summary string, noRetry bool) {
	j := &snap.Job
	if j.Status != models.StatusFailed || len(j.ErrorDetails) == 0 {
		return "", false
	}
	noRetry = true
	for _, d := range snap.Documents {
		detail, ok := j.ErrorDetails[d.DocumentType].(map[string]any)
		if !ok {
			continue
		}
		if s, _ := detail["summary"].(string); s != "" && summary == "" {
			summary = docTitle(d.DocumentType) + ": " + s
		}
		if permanent, _ := detail["permanent"].(bool); !permanent {
			noRetry = false
		}
	}
	if summary == "" {
		// A storage failure or an older job: no sentence to show, and Retry
		// stays on offer.
		return "", false
	}
	return summary, noRetry
}

// checkRetryable refuses a retry that cannot succeed: 409 not_retryable,
// with the plain sentence of the failure.
func (s *Server) checkRetryable(c *fiber.Ctx) error {
	snap, err := s.userSnapshot(c, c.Params("id"))
	if err != nil {
		return err
	}
	summary, noRetry := failureSummary(snap)
	if !noRetry {
		return nil
	}
	return &Error{Status: fiber.StatusConflict, Code: "not_retryable",
		Message: "a retry cannot fix this failure. " + summary + " Fix the cause, then start a new generation.",
		Extra:   map[string]any{"status": snap.Job.Status}}
}
