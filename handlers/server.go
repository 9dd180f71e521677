// Package handlers holds the Fiber routes, one file per resource. Handlers
// parse, validate and authorize, call models and jobs, and render views or
// JSON. They stay thin.
package handlers

import (
	"context"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

// Jobs is what the handlers need from the processor.
type Jobs interface {
	// Create stores a job and triggers a claim.
	Create(ctx context.Context, in models.NewJob) (job *models.Job, replay bool, err error)
	Cancel(ctx context.Context, userID, jobID string) (*models.Job, error)
	Retry(ctx context.Context, userID, jobID string) (*models.Job, error)
}

// Config is the part of the app configuration the handlers read.
type Config struct {
	CookieSecure bool
	// BackgroundGeneration off makes the generate page run in the
	// foreground, streamed within the request (the original behaviour).
	BackgroundGeneration bool
	MaxRetries           int
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// Heartbeat is the SSE keep-alive interval (15 s in production).
	Heartbeat time.Duration
	// AccessRecheck is how often the instance checks again, in one read,
	// that the sign-ins of its open streams (sessions, API tokens) are
	// live, and ends the streams of those that ended: the bound on how
	// long a stream outlives an end whose announcement was lost. Default:
	// Heartbeat.
	AccessRecheck time.Duration
	// ForegroundHeartbeat is how often the foreground page's stream writes
	// a beat, and checks that the client is still there. A server killed
	// mid-run ends neither the page's load nor its stream in Chromium, so
	// the page counts the connection lost after a few missed beats.
	// Default 2s.
	ForegroundHeartbeat time.Duration
	// ReadTimeout bounds reading a request (30 s by default).
	ReadTimeout time.Duration
	// BodyLimit caps request bodies (DefaultBodyLimit).
	BodyLimit int
	// LoginRate is the number of failed log-ins per client address and
	// minute (sign-ups: attempts per client address and minute).
	LoginRate int
	// LoginAccountRate is the number of failed log-ins per account in
	// LoginAccountWindow (15 minutes by default).
	LoginAccountRate   int
	LoginAccountWindow time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For (and
	// X-Forwarded-Host/-Proto) are believed: the client's address for rate
	// limits is read from it.
	TrustedProxies []netip.Prefix
	// JobCreateRate is the number of job creations per user and minute.
	JobCreateRate int
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsElsewhere drops /metrics from the app: it is served on its own
	// address (METRICS_ADDR).
	MetricsElsewhere bool
	// InstanceTimeout is how long an unseen instance still counts as alive
	// on the console (the heartbeat's timeout). Default 15s.
	InstanceTimeout time.Duration
	// AdminRefresh is how often the console's live part is pushed to
	// administrators. Default 2s.
	AdminRefresh time.Duration
	// Drafts are the live drafts of documents being written; nil: none.
	Drafts *events.DraftHub
	// Generator is the configured document generator (GENERATOR):
	// "openai" for a model, "template" (or empty, the default) for the
	// built-in one, which writes from the project data alone and follows no
	// instruction.
	Generator string
}

// followsInstructions reports whether the configured generator uses a
// regeneration's instruction: only a model does.
func (s *Server) followsInstructions() bool {
	return s.cfg.Generator != "" && s.cfg.Generator != "template"
}

// Server holds the dependencies every handler shares.
type Server struct {
	cfg    Config
	db     *models.DB
	jobs   Jobs
	broker *events.Broker
	// gen runs the foreground generation when BackgroundGeneration is off.
	gen documents.Generator
	// done closes at shutdown, so that streams end and never hold it up.
	done chan struct{}
	// sessionStreams ends a session's streams when it logs out.
	sessionStreams *sessionStreams
	// admin pushes the operator console's live part to administrators.
	admin *adminFeed
	// Log-in failures per client address and per account; sign-ups per
	// client address.
	loginByAddr, loginByAccount, signupByAddr *windowLimiter
	// jobCreateLimit is the one per-user budget of job creations that
	// every route creating a job shares (createJobLimit).
	jobCreateLimit fiber.Handler
}

// NewServer builds the server; call App to get the Fiber app.
func NewServer(cfg Config, db *models.DB, jobs Jobs, broker *events.Broker, gen documents.Generator) *Server {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.AccessRecheck == 0 {
		cfg.AccessRecheck = cfg.Heartbeat
	}
	if cfg.ForegroundHeartbeat == 0 {
		cfg.ForegroundHeartbeat = 2 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 10
	}
	if cfg.LoginAccountRate == 0 {
		cfg.LoginAccountRate = 10
	}
	if cfg.LoginAccountWindow == 0 {
		cfg.LoginAccountWindow = 15 * time.Minute
	}
	if cfg.JobCreateRate == 0 {
		cfg.JobCreateRate = 30
	}
	if cfg.AdminRefresh == 0 {
		cfg.AdminRefresh = 2 * time.Second
	}
	s := &Server{
		cfg: cfg, db: db, jobs: jobs, broker: broker, gen: gen, done: make(chan struct{}), sessionStreams: newSessionStreams(),
		loginByAddr:    newWindowLimiter(cfg.LoginRate, time.Minute),
		loginByAccount: newWindowLimiter(cfg.LoginAccountRate, cfg.LoginAccountWindow),
		signupByAddr:   newWindowLimiter(cfg.LoginRate, time.Minute),
	}
	s.admin = newAdminFeed(s.adminLiveHTML, func(ctx context.Context, ids []string) ([]string, error) { return s.db.AdminIDs(ctx, ids) },
		cfg.AdminRefresh, s.done)
	s.jobCreateLimit = rateLimit(cfg.JobCreateRate, time.Minute, func(c *fiber.Ctx) string {
		if u := currentUser(c); u != nil {
			return "user:" + u.ID
		}
		return s.clientIP(c)
	})
	// A logout or a revocation on any instance ends streams here.
	s.watchAccessEnds()
	go s.recheckAccessEvery(cfg.AccessRecheck)
	return s
}

// recheckAccessEvery checks the open streams' sign-ins every interval
// until shutdown (recheckAccess: one read per instance, none without open
// streams). The end of a sign-in reaches the other instances as a NOTIFY
// that the ending instance sends after its commit (the bridge's sender);
// an instance that stops in between loses it, and so do the notifications
// of a LISTEN connection that was down. Whatever the cause, a stream of a
// sign-in that ended ends within one interval.
func (s *Server) recheckAccessEvery(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.recheckAccess()
		}
	}
}

// CloseStreams ends every open SSE stream; call it before shutting the app
// down, so that shutdown never waits on them.
func (s *Server) CloseStreams() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// DefaultBodyLimit caps request bodies: 2.5 MiB, so that a document at its
// limit (maxDocumentChars) fits however a JSON client writes it. Many
// escape every character outside ASCII (Python's json.dumps does): a
// character outside the Basic Multilingual Plane becomes two \uXXXX
// escapes, 12 bytes, and 200,000 of them 2.4 MB.
const DefaultBodyLimit = 5 << 19
