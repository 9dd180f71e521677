package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"dossier/models"
)

// Config is the whole configuration, read from the environment. Flags may
// override it. Every field is validated at start: a bad value stops the start
// with one line that names the variable.
type Config struct {
	Addr                 string
	DatabaseURL          string
	Generator            string
	TemplateDelay        time.Duration
	OpenAIBaseURL        string
	OpenAIAPIKey         string
	OpenAIModel          string
	LLMConcurrency       int
	LLMRPM               int
	LLMAttemptTimeout    time.Duration
	LLMMaxRetryAfter     time.Duration
	WorkerConcurrency    int
	MaxJobsPerUser       int
	SweepInterval        time.Duration
	LeaseDuration        time.Duration
	JobRetention         time.Duration
	ShutdownTimeout      time.Duration
	CookieSecure         bool
	SSEHeartbeat         time.Duration
	BackgroundGeneration bool
	MaxRetries           int
	DraftStreaming       bool
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics on its own listener instead of
	// the app's.
	MetricsAddr string
	// InstanceHeartbeat is how often an instance renews its row in the
	// instances table; one unseen for three intervals counts as dead.
	InstanceHeartbeat time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (the client address of rate limits).
	TrustedProxies []netip.Prefix
}

type configError struct{ name, msg string }

func (e *configError) Error() string { return fmt.Sprintf("config: %s %s", e.name, e.msg) }

type envReader struct {
	get func(string) string
	err error
}

func (r *envReader) str(name, def string) string {
	if v := strings.TrimSpace(r.get(name)); v != "" {
		return v
	}
	return def
}

func (r *envReader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = &configError{name: name, msg: fmt.Sprintf(format, args...)}
	}
}

func (r *envReader) duration(name string, def time.Duration, min time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "must be a duration such as 1500ms or 30s, got %q", v)
		return def
	}
	if d < min {
		r.fail(name, "must be at least %s, got %s", min, d)
	}
	return d
}

func (r *envReader) integer(name string, def, min, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "must be an integer, got %q", v)
		return def
	}
	if n < min || n > max {
		r.fail(name, "must be between %d and %d, got %d", min, max, n)
	}
	return n
}

func (r *envReader) boolean(name string, def bool) bool {
	v := strings.ToLower(r.str(name, ""))
	switch v {
	case "":
		return def
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	r.fail(name, "must be true or false (or on/off), got %q", v)
	return def
}

// prefixes reads comma-separated addresses (one host each) and CIDRs.
func (r *envReader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range strings.Split(r.str(name, ""), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			r.fail(name, "must be comma-separated IP addresses or CIDRs such as 10.0.0.0/8, got %q", item)
			return nil
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// LoadConfig reads and validates the configuration.
func LoadConfig(getenv func(string) string) (Config, error) {
	r := &envReader{get: getenv}
	c := Config{
		Addr:                 r.str("ADDR", "127.0.0.1:3000"),
		DatabaseURL:          r.str("DATABASE_URL", "sqlite:data/dossier.db"),
		Generator:            r.str("GENERATOR", "template"),
		TemplateDelay:        r.duration("TEMPLATE_DELAY", 1500*time.Millisecond, 0),
		OpenAIBaseURL:        r.str("OPENAI_BASE_URL", ""),
		OpenAIAPIKey:         r.str("OPENAI_API_KEY", ""),
		OpenAIModel:          r.str("OPENAI_MODEL", ""),
		LLMConcurrency:       r.integer("LLM_CONCURRENCY", 2, 1, 256),
		LLMRPM:               r.integer("LLM_RPM", 0, 0, 1_000_000),
		LLMAttemptTimeout:    r.duration("LLM_ATTEMPT_TIMEOUT", 3*time.Minute, time.Second),
		LLMMaxRetryAfter:     r.duration("LLM_MAX_RETRY_AFTER", 2*time.Minute, 0),
		WorkerConcurrency:    r.integer("WORKER_CONCURRENCY", 2, 1, 1024),
		MaxJobsPerUser:       r.integer("MAX_JOBS_PER_USER", 1, 0, 1024),
		SweepInterval:        r.duration("SWEEP_INTERVAL", 5*time.Second, 100*time.Millisecond),
		LeaseDuration:        r.duration("LEASE_DURATION", 30*time.Second, time.Second),
		JobRetention:         r.duration("JOB_RETENTION", 720*time.Hour, time.Minute),
		ShutdownTimeout:      r.duration("SHUTDOWN_TIMEOUT", 25*time.Second, 0),
		CookieSecure:         r.boolean("COOKIE_SECURE", false),
		SSEHeartbeat:         r.duration("SSE_HEARTBEAT", 15*time.Second, 10*time.Millisecond),
		BackgroundGeneration: r.boolean("BACKGROUND_GENERATION", true),
		MaxRetries:           r.integer("JOB_MAX_RETRIES", 3, 0, 100),
		DraftStreaming:       r.boolean("DRAFT_STREAMING", true),
		MetricsToken:         r.str("METRICS_TOKEN", ""),
		MetricsAddr:          r.str("METRICS_ADDR", ""),
		InstanceHeartbeat:    r.duration("INSTANCE_HEARTBEAT", 5*time.Second, 100*time.Millisecond),
		TrustedProxies:       r.prefixes("TRUSTED_PROXIES"),
	}
	if r.err != nil {
		return c, r.err
	}
	if err := checkAddr(c.Addr); err != nil {
		return c, &configError{"ADDR", err.Error()}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return c, &configError{"METRICS_ADDR", fmt.Sprintf("must be host:port, got %q", c.MetricsAddr)}
		}
		if c.MetricsAddr == c.Addr {
			return c, &configError{"METRICS_ADDR", "must differ from ADDR"}
		}
	}
	if _, _, err := models.ParseURL(c.DatabaseURL); err != nil {
		return c, &configError{"DATABASE_URL", err.Error()}
	}
	switch c.Generator {
	case "template":
	case "openai":
		if c.OpenAIBaseURL == "" && c.OpenAIAPIKey == "" {
			return c, &configError{"OPENAI_API_KEY", "is required when GENERATOR=openai (or set OPENAI_BASE_URL for a local server)"}
		}
		if c.OpenAIModel == "" {
			return c, &configError{"OPENAI_MODEL", "is required when GENERATOR=openai"}
		}
	default:
		return c, &configError{"GENERATOR", fmt.Sprintf("must be template or openai, got %q", c.Generator)}
	}
	return c, nil
}

// checkAddr is the check ADDR and the --addr flag share: host:port, as
// net.Listen takes it.
func checkAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("must be host:port, got %q", addr)
	}
	return nil
}

// SetAddr overrides ADDR with the --addr flag, checked as ADDR is: a flag
// that skipped the check used to log "listening http://3000" and then fail.
func (c *Config) SetAddr(addr string) error {
	if err := checkAddr(addr); err != nil {
		return fmt.Errorf("--addr %w", err)
	}
	if addr == c.MetricsAddr {
		return fmt.Errorf("--addr must differ from METRICS_ADDR")
	}
	c.Addr = addr
	return nil
}
