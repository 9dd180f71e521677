package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:3000", c.Addr)
	assert.Equal(t, "sqlite:data/dossier.db", c.DatabaseURL)
	assert.Equal(t, "template", c.Generator)
	assert.Equal(t, 1500*time.Millisecond, c.TemplateDelay)
	assert.Equal(t, 2, c.LLMConcurrency)
	assert.Equal(t, 0, c.LLMRPM)
	assert.Equal(t, 2, c.WorkerConcurrency)
	assert.Equal(t, 5*time.Second, c.SweepInterval)
	assert.Equal(t, 30*time.Second, c.LeaseDuration)
	assert.Equal(t, 720*time.Hour, c.JobRetention)
	assert.Equal(t, 25*time.Second, c.ShutdownTimeout)
	assert.False(t, c.CookieSecure)
	assert.True(t, c.BackgroundGeneration)
	assert.True(t, c.DraftStreaming)
	c, err = LoadConfig(envOf(map[string]string{"DRAFT_STREAMING": "off"}))
	require.NoError(t, err)
	assert.False(t, c.DraftStreaming)
}

// SHUTDOWN_TIMEOUT=0 and LLM_MAX_RETRY_AFTER=0 are accepted and stay 0
// (no drain; no Retry-After waited in process), not the defaults.
func TestConfigZeroWaitsStayZero(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{"SHUTDOWN_TIMEOUT": "0", "LLM_MAX_RETRY_AFTER": "0s"}))
	require.NoError(t, err)
	assert.Zero(t, c.ShutdownTimeout)
	assert.Zero(t, c.LLMMaxRetryAfter)
	assert.Equal(t, time.Duration(-1), zeroMeansNone(0), "passed on as none")
	assert.Equal(t, 25*time.Second, zeroMeansNone(25*time.Second))
}

func TestConfigRejectsBadValuesNamingTheVariable(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"ADDR", "nowhere"},
		{"DATABASE_URL", "mysql://x"},
		{"GENERATOR", "magic"},
		{"TEMPLATE_DELAY", "soon"},
		{"LLM_CONCURRENCY", "0"},
		{"LLM_RPM", "-1"},
		{"WORKER_CONCURRENCY", "lots"},
		{"SWEEP_INTERVAL", "1ms"},
		{"LEASE_DURATION", "forever"},
		{"JOB_RETENTION", "x"},
		{"SHUTDOWN_TIMEOUT", "-"},
		{"COOKIE_SECURE", "maybe"},
		{"BACKGROUND_GENERATION", "perhaps"},
		{"DRAFT_STREAMING", "partly"},
		{"TRUSTED_PROXIES", "10.0.0.1, proxy.internal"},
		{"TRUSTED_PROXIES", "10.0.0.0/33"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(envOf(map[string]string{tc.name: tc.value}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.name)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	_, err := LoadConfig(envOf(map[string]string{"GENERATOR": "openai", "OPENAI_API_KEY": "k"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OPENAI_MODEL")
}

func TestConfigTrustedProxies(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	require.NoError(t, err)
	assert.Empty(t, c.TrustedProxies, "no proxy is trusted by default")

	c, err = LoadConfig(envOf(map[string]string{"TRUSTED_PROXIES": " 10.0.0.7, 192.168.1.9/24,fd00::/8 ,::ffff:172.16.0.1"}))
	require.NoError(t, err)
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	assert.Equal(t, []string{"10.0.0.7/32", "192.168.1.0/24", "fd00::/8", "172.16.0.1/32"}, got)
}

// The real binary stops at start with one line naming the variable.
func TestBadConfigStopsTheStart(t *testing.T) {
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "LEASE_DURATION=forever")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.Error(t, err)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	assert.Len(t, lines, 1, stderr.String())
	assert.Contains(t, lines[0], "LEASE_DURATION")
}

// `dossier migrate` twice: the second run applies nothing.
func TestMigrateCommandIsIdempotent(t *testing.T) {
	env := []string{"DATABASE_URL=sqlite:" + t.TempDir() + "/m.db"}
	first := command(t, env, "migrate")
	assert.NotContains(t, first, "applied: 0")
	second := command(t, env, "migrate")
	assert.Contains(t, second, "applied: 0")
}
