package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/models"
)

// admin is a signed-in administrator.
func (b *bundle) admin(t *testing.T) *client {
	t.Helper()
	c := b.user(t)
	u, err := b.db.SetAdmin(context.Background(), c.user.Email, true)
	require.NoError(t, err)
	require.True(t, u.IsAdmin)
	c.user = u
	return c
}

func TestAdminIsNotFoundForEveryoneElse(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		user, api, admin := b.user(t), b.apiClient(t), b.admin(t)

		for _, path := range []string{"/admin", "/admin/failing", "/admin/anything"} {
			for name, c := range map[string]*client{"anonymous": b.anon(), "user": user, "token": api} {
				resp := c.get(t, path)
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s GET %s", name, path)
				assert.Empty(t, resp.Header.Get("Location"), "%s GET %s must not redirect to the login", name, path)
			}
		}
		for name, c := range map[string]*client{"anonymous": b.anon(), "user": user} {
			resp := c.postForm(t, "/admin/jobs/bulk", url.Values{"action": {"cancel"}})
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s POST bulk", name)
		}

		resp := admin.get(t, "/admin")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		doc := page(t, resp)
		assert.Equal(t, 1, testID(doc, "admin-page").Length())
		assert.Equal(t, "admin", testID(doc, "admin-live").AttrOr("sse-swap", ""))
		assert.Equal(t, 1, testID(doc, "chart-throughput").Find("svg").Length())
		assert.Equal(t, 60, testID(doc, "chart-throughput").Find(`[data-testid="chart-bar"]`).Length())

		// A promotion takes effect on the next request; a demotion too.
		_, err := b.db.SetAdmin(context.Background(), user.user.Email, true)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, user.get(t, "/admin").StatusCode)
		_, err = b.db.SetAdmin(context.Background(), user.user.Email, false)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotFound, user.get(t, "/admin").StatusCode)
	})
}

// fail runs a new job of its own project to a failure with msg: failed, or
// queued for an automatic retry when retryAt is set.
func (c *client) failJob(t *testing.T, msg string, retryAt *time.Time) *models.Job {
	t.Helper()
	return c.failJobWith(t, models.DocumentFailure{Type: "scope_statement", Error: msg, Attempts: 3}, retryAt)
}

// failJobWith is failJob with the document's failure as given.
func (c *client) failJobWith(t *testing.T, failure models.DocumentFailure, retryAt *time.Time) *models.Job {
	t.Helper()
	msg := failure.Error
	ctx := context.Background()
	j := c.job(t, c.project(t, "P "+msg), "scope_statement")
	js, err := c.b.db.Claim(ctx, models.ClaimParams{Worker: "w1", Limit: 1, Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.Equal(t, j.ID, js[0].ID)
	status := models.StatusFailed
	if retryAt != nil {
		status = models.StatusQueued
	}
	out, err := c.b.db.FinishJob(ctx, js[0].Lease(), models.Outcome{
		Status: status, RetryAt: retryAt, Now: time.Now(),
		Failures: []models.DocumentFailure{failure},
	})
	require.NoError(t, err)
	require.NotNil(t, out.ErrorMessage)
	return out
}

func TestAdminBulkRetryAndCancelChangeExactlyTheSelectedJobs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		admin, alice, bob := b.admin(t), b.user(t), b.user(t)
		later := time.Now().Add(time.Hour)

		f1 := alice.failJob(t, "rate limited", nil)
		f2 := bob.failJob(t, "rate limited", nil)
		f3 := bob.failJob(t, "rate limited", nil)
		f4 := alice.failJob(t, "bad key", nil)
		r1 := alice.failJob(t, "timeout", &later)
		r2 := bob.failJob(t, "timeout", &later)
		q1 := alice.job(t, alice.project(t, "Quiet"), "scope_statement")

		// The console groups them by error, the largest group first.
		doc := page(t, admin.get(t, "/admin"))
		groups := testID(doc, "fail-group-error")
		require.Equal(t, 3, groups.Length())
		assert.Contains(t, groups.First().Text(), "rate limited")
		assert.Contains(t, groups.First().Text(), "(3)")
		assert.Equal(t, 6, testID(doc, "select-job").Length())

		status := func(j *models.Job) string {
			got, err := b.db.JobByID(context.Background(), j.ID)
			require.NoError(t, err)
			return got.Status
		}
		before := map[string]string{}
		for _, j := range []*models.Job{f1, f2, f3, f4, r1, r2, q1} {
			before[j.ID] = status(j)
		}

		// Retry f1 and f3 (of two users), plus r1, which is not failed: f1
		// and f3 are queued again, r1 is refused, the rest is untouched.
		form := formValues(doc, `[data-testid="bulk-form"]`)
		form = append(form, [2]string{"ids", f1.ID}, [2]string{"ids", f3.ID}, [2]string{"ids", r1.ID}, [2]string{"action", "retry"})
		resp := admin.do(t, http.MethodPost, "/admin/jobs/bulk", strings.NewReader(form.encode()),
			"Content-Type", "application/x-www-form-urlencoded", hx, "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		result := testID(page(t, resp), "bulk-result").Text()
		assert.Equal(t, "Retried 2 of the 3 selected jobs; 1 was already queued or running.", result)
		assert.Equal(t, models.StatusQueued, status(f1))
		assert.Equal(t, models.StatusQueued, status(f3))
		for _, j := range []*models.Job{f2, f4, r1, r2, q1} {
			assert.Equal(t, before[j.ID], status(j), "job %s must not change", j.ID)
		}

		// Cancel r2 only (a plain form post, as without htmx): r2 ends
		// cancelled; r1, q1 and the retried ones stay queued.
		resp = admin.postForm(t, "/admin/jobs/bulk", url.Values{"action": {"cancel"}, "ids": {r2.ID}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "/admin", resp.Header.Get("Location"))
		assert.Equal(t, "Cancelled the selected job.", testID(admin.followFlash(t, resp), "bulk-result").Text())
		assert.Equal(t, models.StatusCancelled, status(r2))
		for _, j := range []*models.Job{f1, f3, r1, q1} {
			assert.Equal(t, models.StatusQueued, status(j), "job %s must stay queued", j.ID)
		}
		assert.Equal(t, models.StatusFailed, status(f2))
		assert.Equal(t, models.StatusFailed, status(f4))

		// Nothing selected changes nothing; an unknown action is refused.
		resp = admin.postForm(t, "/admin/jobs/bulk", url.Values{"action": {"cancel"}}, hx, "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, testID(page(t, resp), "bulk-result").Text(), "No job was selected.")
		resp = admin.postForm(t, "/admin/jobs/bulk", url.Values{"action": {"delete"}, "ids": {f2.ID}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		assert.Equal(t, models.StatusFailed, status(f2))

		// The CSRF token is required, as everywhere.
		resp = admin.do(t, http.MethodPost, "/admin/jobs/bulk", strings.NewReader("action=cancel&ids="+q1.ID),
			"Content-Type", "application/x-www-form-urlencoded")
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Equal(t, models.StatusQueued, status(q1))
	})
}

// Bulk retry follows the API's rule: a failed job whose every failure no
// retry can fix (here a rejected key) is skipped, not requeued, and the
// console says how many and why; the others are retried as before.
func TestAdminBulkRetrySkipsWhatNoRetryCanFix(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		admin, alice, bob := b.admin(t), b.user(t), b.user(t)
		badKeyErr := &documents.ProviderError{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: "Incorrect API key provided"}
		why := documents.Explain(badKeyErr).Summary
		badKey := func(c *client) *models.Job {
			return c.failJobWith(t, models.DocumentFailure{Type: "scope_statement", Attempts: 1, Permanent: true, Summary: why,
				Error: `openai: the provider answered 401 Unauthorized: Incorrect API key provided (code "invalid_api_key")`}, nil)
		}
		k1, k2 := badKey(alice), badKey(bob)
		outage := alice.failJob(t, "the provider answered 503", nil)
		queued := bob.job(t, bob.project(t, "Quiet"), "scope_statement")

		// The API refuses to retry a bad-key job: the rule the console follows.
		resp := alice.postJSON(t, "/api/generation/jobs/"+k1.ID+"/retry", nil)
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		require.Equal(t, "not_retryable", errorOf(t, resp).Error.Code)

		resp = admin.postForm(t, "/admin/jobs/bulk", url.Values{"action": {"retry"}, "ids": {k1.ID, k2.ID, outage.ID, queued.ID}}, hx, "true")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		result := testID(page(t, resp), "bulk-result").Text()
		assert.Equal(t, "Retried 1 of the 4 selected jobs; 1 was already queued or running"+
			" and 2 were not retried because a retry cannot fix their failure: “Scope Statement: "+why+"”", result)

		for j, want := range map[*models.Job]string{k1: models.StatusFailed, k2: models.StatusFailed, outage: models.StatusQueued, queued: models.StatusQueued} {
			got, err := b.db.JobByID(context.Background(), j.ID)
			require.NoError(t, err)
			assert.Equal(t, want, got.Status, "job %s", j.ID)
			if want == models.StatusFailed {
				assert.Empty(t, got.History, "a skipped job was not retried, not even for a moment")
			}
		}
	})
}

// The console shows the instances whose heartbeat is recent, and which of
// them hold leases; a stopped one leaves the list at once, a dead one after
// the timeout.
func TestAdminListsAliveInstancesAndTheirLeases(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil, func(c *Config) { c.InstanceTimeout = time.Hour })
		admin, alice := b.admin(t), b.user(t)
		ctx := context.Background()

		one, err := jobs.NewInstanceHeartbeat(b.db, jobs.InstanceConfig{ID: "w1", Role: "worker", Version: "v1", Interval: time.Hour})
		require.NoError(t, err)
		two, err := jobs.NewInstanceHeartbeat(b.db, jobs.InstanceConfig{ID: "web-2", Role: "web", Version: "v1", Interval: time.Hour})
		require.NoError(t, err)
		require.NoError(t, one.Start(ctx))
		require.NoError(t, two.Start(ctx))
		t.Cleanup(one.Stop)
		t.Cleanup(two.Stop)
		// w1 holds a lease: its job is running.
		j := alice.job(t, alice.project(t, "Running"), "scope_statement")
		b.run(t, j, nil, "")

		// The heartbeats start in the background: poll until both rows are in.
		instances := func(want int) map[string]string {
			deadline := time.Now().Add(10 * time.Second)
			for {
				out := map[string]string{}
				testID(page(t, admin.get(t, "/admin")), "instance").Each(func(_ int, s *goquery.Selection) {
					out[s.AttrOr("data-instance", "")] = strings.TrimSpace(s.Find(`[data-testid="instance-leases"]`).Text())
				})
				if len(out) == want || time.Now().After(deadline) {
					return out
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		assert.Equal(t, map[string]string{"w1": "1 lease", "web-2": "no leases"}, instances(2))

		doc := page(t, admin.get(t, "/admin"))
		assert.Equal(t, "w1", strings.TrimSpace(testID(doc, "running-instance").Text()))
		assert.Contains(t, testID(doc, "running-lease").Text(), "expires in")

		// A clean stop deletes the row at once.
		two.Stop()
		assert.Equal(t, map[string]string{"w1": "1 lease"}, instances(1))

		// A crashed instance's row stays until it is older than the
		// timeout; the next heartbeat of any instance drops it.
		dead := models.Instance{ID: "crashed", Role: "all", Version: "v0", StartedAt: time.Now().Add(-time.Hour), LastSeen: time.Now().Add(-10 * time.Minute)}
		require.NoError(t, b.db.TouchInstance(ctx, dead, time.Now().Add(-time.Hour)))
		assert.Len(t, instances(2), 2, "within the console's timeout (1h) it still counts")
		short, err := jobs.NewInstanceHeartbeat(b.db, jobs.InstanceConfig{ID: "w1", Role: "worker", Interval: time.Minute, Timeout: 5 * time.Minute})
		require.NoError(t, err)
		require.NoError(t, short.RunOnce(ctx))
		var n int64
		require.NoError(t, b.db.ForTests().Model(&models.Instance{}).Where("id = ?", "crashed").Count(&n).Error)
		assert.Zero(t, n, "the dead row is dropped")
	})
}

// The charts, the queue depth and the usage read real rows on both
// databases (their minute and day keys are dialect SQL).
func TestAdminChartsDepthAndUsage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		admin, alice := b.admin(t), b.user(t)
		j := alice.job(t, alice.project(t, "Done"), "scope_statement", "risk_register")
		b.run(t, j, []string{"scope_statement", "risk_register"}, models.StatusCompleted)
		alice.failJob(t, "bad key", nil)
		alice.job(t, alice.project(t, "Waiting"), "scope_statement")

		doc := page(t, admin.get(t, "/admin"))
		assert.Equal(t, "1", testID(doc, "depth-completed-total").Text())
		assert.Equal(t, "1", testID(doc, "depth-failed-total").Text())
		assert.Equal(t, "1", testID(doc, "depth-queued-total").Text())
		assert.Equal(t, "1 completed, 1 failed, 0 cancelled jobs; 2 documents", testID(doc, "chart-throughput-summary").Text())
		assert.Contains(t, testID(doc, "chart-wait-summary").Text(), "2 starts; p50")
		bars := testID(doc, "chart-throughput").Find("rect")
		assert.Equal(t, 2, bars.Length(), "one completed and one failed bar segment in the last minute or two")

		rows := testID(doc, "usage-row")
		require.Equal(t, 1, rows.Length())
		cells := rows.First().Find("td")
		assert.Equal(t, time.Now().UTC().Format("2006-01-02"), cells.Eq(0).Text())
		assert.Equal(t, alice.user.Email, cells.Eq(1).Text())
		assert.Equal(t, "3", cells.Eq(2).Text(), "jobs")
		assert.Equal(t, "2", cells.Eq(3).Text(), "documents")
		assert.Equal(t, "9,200", cells.Eq(4).Text(), "tokens: 2 × (1200 + 3400)")
	})
}

// An administrator's /events stream carries the console's live part as the
// admin event, refreshed while they are connected; nobody else's does.
func TestAdminConsoleIsPushedOverTheUserStream(t *testing.T) {
	b := pagesSetup(t, models.SQLite, nil, func(c *Config) { c.AdminRefresh = 50 * time.Millisecond })
	addr := strings.TrimPrefix(b.listen(t), "http://")
	admin, user := b.admin(t), b.apiClient(t)
	adminToken, _, err := b.db.CreateAPIToken(context.Background(), admin.user.ID, "test")
	require.NoError(t, err)

	readFor := func(c *sseClient, d time.Duration) []sseEvent {
		var evs []sseEvent
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			ev, err := c.next(time.Until(deadline))
			if err != nil {
				break
			}
			if ev.Name != "" {
				evs = append(evs, ev)
			}
		}
		return evs
	}

	plain := dialSSE(t, addr, "/events", user.token)
	require.Equal(t, http.StatusOK, plain.Status)
	for _, ev := range readFor(plain, time.Second) {
		assert.NotEqual(t, "admin", ev.Name, "a user who is not an administrator never gets the console")
	}

	s := dialSSE(t, addr, "/events", adminToken)
	require.Equal(t, http.StatusOK, s.Status)
	// Wait (with a deadline, not a fixed window) for the first push and a
	// refresh after it.
	var pushes []string
	deadline := time.Now().Add(15 * time.Second)
	for len(pushes) < 2 && time.Now().Before(deadline) {
		ev, err := s.next(time.Until(deadline))
		if err != nil {
			break
		}
		if ev.Name == "admin" {
			pushes = append(pushes, ev.Data)
		}
	}
	require.GreaterOrEqual(t, len(pushes), 2, "refreshed while connected")
	doc := sseEvent{Data: pushes[len(pushes)-1]}.doc(t)
	assert.Equal(t, 1, testID(doc, "admin-live-body").Length())
	assert.Equal(t, 1, testID(doc, "admin-instances").Length())
}

// The bulk actions' result reads as a sentence for one job and for many,
// and says why the jobs left alone were left: "Retried 2 of 3 selected
// jobs." said neither, and "1 of 1 selected jobs" is not English.
func TestAdminBulkFlashReadsNaturally(t *testing.T) {
	t.Parallel()
	why := map[string]int{"Scope Statement: The model provider refused Dossier's request for this document, and trying again will not help. An administrator needs to look into it.": 1}
	for _, tc := range []struct {
		action   string
		selected int
		res      bulkResult
		want     string
	}{
		{"retry", 0, bulkResult{}, "No job was selected."},
		{"retry", 1, bulkResult{done: 1}, "Retried the selected job."},
		{"cancel", 1, bulkResult{done: 1}, "Cancelled the selected job."},
		{"cancel", 1, bulkResult{ended: 1}, "The selected job had already finished."},
		{"retry", 1, bulkResult{running: 1}, "The selected job was already queued or running."},
		{"retry", 1, bulkResult{missing: 1}, "The selected job no longer exists."},
		{"retry", 1, bulkResult{noRetry: why},
			"The selected job was not retried because a retry cannot fix its failure: “Scope Statement: The model provider refused Dossier's request for this document, and trying again will not help. An administrator needs to look into it.”"},
		{"retry", 3, bulkResult{done: 3}, "Retried the 3 selected jobs."},
		{"cancel", 3, bulkResult{done: 2, ended: 1}, "Cancelled 2 of the 3 selected jobs; 1 had already finished."},
		{"retry", 3, bulkResult{done: 2, ended: 1}, "Retried 2 of the 3 selected jobs; 1 had already completed."},
		{"retry", 4, bulkResult{done: 1, busy: 1, missing: 2},
			"Retried 1 of the 4 selected jobs; 1 could not be retried while another run of its project is active and 2 no longer exist."},
		{"cancel", 2, bulkResult{ended: 2}, "Cancelled none of the 2 selected jobs; 2 had already finished."},
		{"retry", 5, bulkResult{done: 1, running: 2, noRetry: map[string]int{"A.": 1, "B.": 1}},
			"Retried 1 of the 5 selected jobs; 2 were already queued or running and 2 were not retried because a retry cannot fix their failure: “A.” (1) and “B.” (1)."},
		{"cancel", 2, bulkResult{done: 1, failed: 1}, "Cancelled 1 of the 2 selected jobs; 1 could not be cancelled because of an error (the server log has it)."},
	} {
		got := tc.res.flash(tc.action, tc.selected)
		assert.Equal(t, tc.want, got, "%s of %d: %+v", tc.action, tc.selected, tc.res)
		assert.NotContains(t, got, "1 of 1", "%s of %d", tc.action, tc.selected)
	}
}

// A failure only an administrator can fix (a rejected key) tells the job's
// owner so, in plain words, naming no setting; the console tells the
// administrator which setting to check. The owner's pages named
// OPENAI_API_KEY.
func TestOperatorHintOnlyOnTheConsole(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d models.Dialect) {
		b := pagesSetup(t, d, nil)
		admin, alice := b.admin(t), b.user(t)
		err := &documents.ProviderError{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: "Incorrect API key provided: sk-te***st."}
		ex := documents.Explain(err)
		require.NotEmpty(t, ex.Hint)
		job := alice.failJobWith(t, models.DocumentFailure{Type: "scope_statement", Attempts: 1, Permanent: true,
			Summary: ex.Summary, Error: err.Error()}, nil)

		for _, path := range []string{"/jobs/" + job.ID, "/jobs", "/jobs?status=failed", "/"} {
			resp := alice.get(t, path)
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
			text := page(t, resp).Find("#main").Text()
			assert.NotContains(t, text, "OPENAI_", "%s names a setting to its user", path)
			assert.NotContains(t, text, ex.Hint, path)
		}
		doc := page(t, alice.get(t, "/jobs/"+job.ID))
		assert.Contains(t, testID(doc, "job-error-summary").Text(), "An administrator needs to fix it.")
		assert.Contains(t, testID(doc, "job-error-detail").Text(), "Incorrect API key provided", "the provider's own message stays behind the disclosure")

		doc = page(t, admin.get(t, "/admin"))
		hints := testID(doc, "fail-group-hint")
		require.Equal(t, 1, hints.Length(), "the console says what to check")
		assert.Equal(t, "To fix: "+ex.Hint, strings.TrimSpace(hints.Text()))
		assert.Contains(t, hints.Text(), "OPENAI_API_KEY")
	})
}
