// Dossier generates a project's documents from its data and a company
// intelligence pack, as durable server-side background jobs.
//
//	dossier [serve] [--role web|worker|all] [--addr HOST:PORT]   web and worker (default)
//	dossier migrate                                              apply migrations and exit
//	dossier user create --email E --password P [--name N] [--admin]
//	dossier user promote --email E                               make an administrator
//	dossier user demote --email E                                withdraw the administrator role
//	dossier token create --email E [--name N]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"dossier/handlers"
	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/jobs/events"
	"dossier/models"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "dossier:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  dossier [serve] [--role web|worker|all] [--addr HOST:PORT]
  dossier migrate
  dossier user create --email E --password P [--name N] [--admin]
  dossier user promote --email E
  dossier user demote --email E
  dossier token create --email E [--name N]`

func run(args []string, out io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-h" || args[0] == "--help") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "migrate" && len(args) > 0 {
		// migrate takes no arguments: `migrate --help` must not migrate.
		if isHelp(args[0]) {
			fmt.Fprintln(out, usage)
			return nil
		}
		return fmt.Errorf("migrate takes no arguments, got %q\n%s", strings.Join(args, " "), usage)
	}
	switch cmd {
	case "serve":
		return serve(args, out, getenv)
	case "migrate":
		return migrate(out, getenv)
	case "user":
		return userCommand(args, out, getenv)
	case "token":
		return tokenCommand(args, out, getenv)
	case "help", "-h", "--help":
		fmt.Fprintln(out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// parseFlags parses a command's flags. --help (or -h) prints them on out
// and is no error: help is true, and the command stops there and exits 0
// (it used to print them and exit 1 with "flag: help requested"). A bad
// flag prints them on stderr, as before, and is the error.
func parseFlags(fs *flag.FlagSet, args []string, out io.Writer) (help bool, err error) {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		_, err = out.Write(buf.Bytes())
		return true, err
	}
	os.Stderr.Write(buf.Bytes())
	return false, err
}

// openDB connects and migrates for a one-shot command (user, token). On
// SQLite it holds the file's lock while it runs (sqlitelock.go); next to a
// running server it works on the server's database without migrating it.
func openDB(getenv func(string) string) (*models.DB, func(), error) {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return nil, nil, err
	}
	if dialect, _, _ := models.ParseURL(cfg.DatabaseURL); dialect == models.SQLite && sqliteDBPath(cfg.DatabaseURL) == "" {
		return nil, nil, errors.New("DATABASE_URL is an in-memory SQLite database: what this command stores would be gone when it exits; point it at a file (sqlite:dossier.db) or at PostgreSQL")
	}
	ctx := context.Background()
	var lock *sqliteLock
	if path := sqliteDBPath(cfg.DatabaseURL); path != "" {
		lock, err = lockSQLite(path, "command")
		if isServed(err) {
			db, err := models.Connect(ctx, cfg.DatabaseURL)
			if err != nil {
				return nil, nil, err
			}
			return db, func() { db.Close() }, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return db, func() { db.Close(); lock.Release() }, nil
}

func migrate(out io.Writer, getenv func(string) string) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	if path := sqliteDBPath(cfg.DatabaseURL); path != "" {
		lock, err := lockSQLite(path, "migrate")
		if isServed(err) {
			return fmt.Errorf("%w, which applied the migrations at its start; stop it to run migrate", err)
		}
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	db, err := models.Connect(context.Background(), cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.MigrateReport(context.Background())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "migrations applied: %d (%s)\n", n, db.Dialect)
	return nil
}

// isHelp says an argument asks for a command's usage.
func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "help" }

func userCommand(args []string, out io.Writer, getenv func(string) string) error {
	if len(args) > 0 && (args[0] == "promote" || args[0] == "demote") {
		return roleCommand(args[0], args[1:], out, getenv)
	}
	const userUsage = "usage: dossier user create --email E --password P [--name N] [--admin]\n       dossier user promote --email E\n       dossier user demote --email E"
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(out, userUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New(userUsage)
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address")
	password := fs.String("password", "", "password, at least 8 characters")
	name := fs.String("name", "", "display name (default: the email's local part)")
	admin := fs.Bool("admin", false, "make the user an administrator (the /admin console)")
	if help, err := parseFlags(fs, args[1:], out); help || err != nil {
		return err
	}
	if !strings.Contains(*email, "@") {
		return fmt.Errorf("--email must be an email address")
	}
	if len(*password) < 8 {
		return fmt.Errorf("--password must be at least 8 characters")
	}
	if *name == "" {
		*name, _, _ = strings.Cut(*email, "@")
	}
	db, closeDB, err := openDB(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	hash, err := handlers.HashPassword(*password)
	if err != nil {
		return err
	}
	ctx := context.Background()
	u, err := db.CreateUser(ctx, *email, *name, hash)
	if err != nil {
		return err
	}
	role := "user"
	if *admin {
		if u, err = db.SetAdmin(ctx, u.Email, true); err != nil {
			return err
		}
		role = "administrator"
	}
	fmt.Fprintf(out, "%s created: %s <%s> (%s)\n", role, u.Name, u.Email, u.ID)
	return nil
}

// roleCommand makes an existing user an administrator (promote) or
// withdraws the role (demote). A demoted user's open tabs get no more of
// the console's live feed from its next refresh, on every instance (the
// feed checks its subscribers' role before each push).
func roleCommand(verb string, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	if help, err := parseFlags(fs, args, out); help || err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("usage: dossier user %s --email E", verb)
	}
	db, _, err := openDB(getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.SetAdmin(context.Background(), *email, verb == "promote")
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user with email %q", *email)
	}
	if err != nil {
		return err
	}
	if verb == "promote" {
		fmt.Fprintf(out, "administrator: %s <%s>\n", u.Name, u.Email)
	} else {
		fmt.Fprintf(out, "no longer an administrator: %s <%s>\n", u.Name, u.Email)
	}
	return nil
}

func tokenCommand(args []string, out io.Writer, getenv func(string) string) error {
	const tokenUsage = "usage: dossier token create --email E [--name N]"
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(out, tokenUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New(tokenUsage)
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	name := fs.String("name", "cli", "a name for the token")
	if help, err := parseFlags(fs, args[1:], out); help || err != nil {
		return err
	}
	db, closeDB, err := openDB(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := db.UserByEmail(context.Background(), *email)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user with email %q", *email)
	}
	if err != nil {
		return err
	}
	token, _, err := db.CreateAPIToken(context.Background(), u.ID, *name)
	if err != nil {
		return err
	}
	// The token alone on stdout, so that scripts can capture it.
	fmt.Fprintln(out, token)
	return nil
}

func serve(args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	role := fs.String("role", "all", "web, worker or all")
	addr := fs.String("addr", "", "listen address (overrides ADDR)")
	if help, err := parseFlags(fs, args, out); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		// `serve worker`, for --role worker, used to start web and worker.
		return fmt.Errorf("serve takes no arguments, got %q%s", strings.Join(fs.Args(), " "), roleHint(fs.Arg(0)))
	}
	if *role != "web" && *role != "worker" && *role != "all" {
		return fmt.Errorf("--role must be web, worker or all, got %q", *role)
	}
	addrSet := false
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if addrSet && *role == "worker" {
		// Refused like --role web on SQLite: a flag that would be ignored
		// misleads whoever reads the command line.
		return fmt.Errorf("--addr has no use with --role worker, which serves no HTTP (METRICS_ADDR serves its /metrics)")
	}
	env := getenv
	if addrSet {
		// --addr overrides ADDR: a value of ADDR it replaces must not stop
		// the start.
		env = func(k string) string {
			if k == "ADDR" {
				return ""
			}
			return getenv(k)
		}
	}
	cfg, err := LoadConfig(env)
	if err != nil {
		return err
	}
	if addrSet {
		if err := cfg.SetAddr(*addr); err != nil {
			return err
		}
	}
	// Signals first: from here on a SIGTERM, even one that arrives while
	// the process starts, takes the graceful path instead of the default
	// action that kills the process with its leases held.
	stop := make(chan os.Signal, 2) // room for the second signal, below
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)
	// On SQLite one process serves the web and runs the jobs: they share
	// live progress and cancels through memory. The dialect decides, not
	// the file: an in-memory database is the process's own, which no
	// other process sees.
	if dialect, _, _ := models.ParseURL(cfg.DatabaseURL); dialect == models.SQLite && *role != "all" {
		return fmt.Errorf("--role %s needs PostgreSQL: on SQLite one process serves the web and runs the jobs (--role all)", *role)
	}
	if path := sqliteDBPath(cfg.DatabaseURL); path != "" {
		// One process per SQLite file (sqlitelock.go).
		lock, err := lockSQLite(path, "serve")
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)

	ctx := context.Background()
	// Runs write through the group commit, so the pool need not grow with
	// every run; it follows WORKER_CONCURRENCY for the runs' reads, with
	// room for the web side.
	db, err := models.Open(ctx, cfg.DatabaseURL, models.Options{MaxConns: max(16, cfg.WorkerConcurrency+8)})
	if err != nil {
		return err
	}
	defer db.Close()

	gen, err := newGenerator(cfg)
	if err != nil {
		return err
	}
	// The metrics wrapper sits under the limiter: model-call latency is the
	// model's, not the wait for a slot.
	limited := documents.NewLimited(jobs.InstrumentGenerator(gen), cfg.LLMConcurrency, cfg.LLMRPM)
	prometheus.MustRegister(jobs.NewQueueDepthCollector(db, 5*time.Second))

	host, _ := os.Hostname()
	instance := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), models.RandomToken(4))
	broker := events.NewBroker(events.Config{Loader: db.Snapshot, Sync: db.SyncSince, Board: db.JobBoard, Project: db.ProjectActivity, Instance: instance, Logger: logger})
	if err := broker.Start(ctx); err != nil {
		return err
	}
	defer broker.Stop()
	if db.Dialect == models.Postgres {
		// State changes NOTIFY inside their own transactions, ids only.
		db.SetNotifier(events.Notifier(broker.Instance()))
		bridge := events.NewPGBridge(db.URL, broker, logger)
		if err := bridge.Start(ctx); err != nil {
			return err
		}
		defer bridge.Stop()
	}
	drafts := events.NewDraftHub(events.DraftConfig{Instance: instance, Disabled: !cfg.DraftStreaming})
	if db.Dialect == models.Postgres {
		draftBridge := events.NewDraftBridge(db.URL, drafts, logger)
		if err := draftBridge.Start(ctx); err != nil {
			return err
		}
		defer draftBridge.Stop()
	}

	// The processor is created here and started only once every listener
	// is bound: a start that fails (a taken ADDR or METRICS_ADDR) must not
	// have claimed jobs it then leaves processing until their leases expire.
	var processor *jobs.Processor
	if *role != "web" {
		processor, err = jobs.NewProcessor(db, limited, broker, jobs.Config{
			Worker: instance, Concurrency: cfg.WorkerConcurrency, DocConcurrency: cfg.LLMConcurrency,
			MaxPerUser: cfg.MaxJobsPerUser, SweepInterval: cfg.SweepInterval, LeaseDuration: cfg.LeaseDuration,
			Retention: cfg.JobRetention, ShutdownTimeout: zeroMeansNone(cfg.ShutdownTimeout),
			Retry:         documents.RetryPolicy{MaxRetryAfter: zeroMeansNone(cfg.LLMMaxRetryAfter)},
			PriorDuration: priorDuration(cfg), Logger: logger, Drafts: drafts,
		})
		if err != nil {
			return err
		}
	}
	client := jobs.NewClient(db, broker, processor)

	heartbeat, err := jobs.NewInstanceHeartbeat(db, jobs.InstanceConfig{
		ID: instance, Role: *role, Version: version(), Interval: cfg.InstanceHeartbeat, Logger: logger,
	})
	if err != nil {
		return err
	}
	if err := heartbeat.Start(ctx); err != nil {
		return err
	}
	defer heartbeat.Stop() // after the drain: the row goes when the leases do
	if cfg.MetricsAddr != "" {
		stopMetrics, err := serveMetrics(cfg.MetricsAddr, cfg.MetricsToken, logger)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}

	var server *handlers.Server
	var app *fiber.App
	var ln net.Listener
	if *role != "worker" {
		server = handlers.NewServer(handlers.Config{
			CookieSecure: cfg.CookieSecure, BackgroundGeneration: cfg.BackgroundGeneration, MaxRetries: cfg.MaxRetries,
			Heartbeat: cfg.SSEHeartbeat, MetricsToken: cfg.MetricsToken, MetricsElsewhere: cfg.MetricsAddr != "",
			InstanceTimeout: heartbeat.Timeout(), TrustedProxies: cfg.TrustedProxies, Drafts: drafts,
			Generator: cfg.Generator,
		}, db, client, broker, limited)
		app = server.App()
		// Bound here, served below: the network is the app's (Fiber's
		// Listen would use the same).
		ln, err = net.Listen(app.Config().Network, cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
		defer ln.Close() // unless served: the HTTP shutdown closes it first
	}

	select {
	case sig := <-stop:
		// Stopped while starting: nothing claimed, nothing to drain.
		logger.Info("shutting down before the start completed", "signal", sig.String())
		return nil
	default:
	}
	if processor != nil {
		if err := processor.Start(ctx); err != nil {
			return err
		}
		// Every return from here releases the leases before the heartbeat,
		// the listeners and the database go (Stop is idempotent).
		defer processor.Stop()
	}

	shutdownHTTP := func() {}
	listenErr := make(chan error, 1)
	if app != nil {
		go func() { listenErr <- app.Listener(ln) }()
		logger.Info("dossier listening", "addr", "http://"+cfg.Addr, "database", db.Dialect, "generator", cfg.Generator, "role", *role)
		httpDone := make(chan struct{})
		started := false
		shutdownHTTP = func() {
			started = true
			// Streams end first, so that the HTTP shutdown never waits on
			// them; it runs alongside the processor's drain.
			server.CloseStreams()
			go func() {
				defer close(httpDone)
				if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
					logger.Warn("http shutdown", "err", err)
				}
			}()
		}
		defer func() {
			if started {
				<-httpDone
			}
		}()
	} else {
		logger.Info("dossier worker running", "database", db.Dialect, "generator", cfg.Generator)
	}

	select {
	case sig := <-stop:
		logger.Info("shutting down", "signal", sig.String(), "timeout", cfg.ShutdownTimeout)
		// A second signal is the operator declining to wait for the drain:
		// exit at once. The leases are not released; the sweep requeues
		// their jobs when they expire, as after a crash.
		go func() {
			sig := <-stop
			logger.Warn("second signal: exiting now, without draining; running jobs resume elsewhere when their leases expire", "signal", sig.String())
			os.Exit(1)
		}()
	case err := <-listenErr:
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	shutdownHTTP()
	if processor != nil {
		processor.Stop() // drain until SHUTDOWN_TIMEOUT, then release the leases
	}
	return nil
}

// roleHint suggests --role for a stray argument that names a role.
func roleHint(arg string) string {
	switch arg {
	case "web", "worker", "all":
		return fmt.Sprintf(" (did you mean --role %s?)", arg)
	}
	return ""
}

func newGenerator(cfg Config) (documents.Generator, error) {
	if cfg.Generator == "openai" {
		return documents.NewOpenAIGenerator(documents.OpenAIConfig{
			BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, Model: cfg.OpenAIModel,
			AttemptTimeout: cfg.LLMAttemptTimeout,
		})
	}
	return documents.NewTemplateGenerator(cfg.TemplateDelay), nil
}

// zeroMeansNone passes an operator's 0 for SHUTDOWN_TIMEOUT or
// LLM_MAX_RETRY_AFTER (no drain; no Retry-After waited in process) to
// jobs.Config and documents.RetryPolicy, which take a zero for their default
// and a negative duration for none.
func zeroMeansNone(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// priorDuration is the expected time of a document with no history yet.
func priorDuration(cfg Config) time.Duration {
	if cfg.Generator == "template" {
		return cfg.TemplateDelay + 50*time.Millisecond
	}
	return 30 * time.Second
}

// serveMetrics serves /metrics alone on addr (METRICS_ADDR), so that the
// scraper reaches it on a port the public never sees.
func serveMetrics(addr, token string, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", handlers.MetricsHandler(token))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// version is the build's VCS revision (with "+dirty" for uncommitted
// changes), or "dev": the instances list shows it.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		return "dev"
	}
	return rev[:min(len(rev), 12)] + dirty
}
