// Package e2e drives the real dossier binary with a real browser (Debian's
// Chromium, headless, through chromedp), the way a person would.
//
// Run with `go test ./e2e/`. Without Chromium the suite skips, unless
// DOSSIER_REQUIRE_BROWSER is set (as in CI), which makes that a failure.
// CHROMIUM_PATH overrides /usr/bin/chromium. Screenshots land in
// e2e/screenshots/ (git-ignored).
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// binary is the dossier binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dossier-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "dossier")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = ".." // the repository root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the dossier binary failed:", err)
		return 1
	}
	return m.Run()
}

// Server is a running dossier process.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:41234.
	URL string
	// Dir holds the SQLite database and is the process's working directory.
	Dir string
	// DatabaseURL is the process's DATABASE_URL.
	DatabaseURL string
	opts        serverOpts
	cmd         *exec.Cmd
	logs        *syncBuffer
	done        chan struct{}
}

// Logs returns what the process has written so far.
func (s *Server) Logs() string { return s.logs.String() }

// startServer runs `dossier serve` on a free loopback port with a fresh
// SQLite database and a fast template generator, waits until /healthz
// answers, and stops it (SIGTERM, then a kill) when the test ends. env adds
// or overrides variables.
func startServer(t *testing.T, env map[string]string) *Server {
	t.Helper()
	return startServerWith(t, serverOpts{env: env})
}

// serverOpts are startServerWith's options.
type serverOpts struct {
	env map[string]string
	// args follow "serve", as in --role web.
	args []string
	// dir and addr reuse a stopped server's database and address.
	dir, addr string
	// worker: the process serves no HTTP (--role worker); it is ready when
	// it says so.
	worker bool
}

// startServerWith is startServer with arguments, or on the directory and
// address of an earlier process (a restart).
func startServerWith(t *testing.T, o serverOpts) *Server {
	t.Helper()
	dir, addr := o.dir, o.addr
	if dir == "" {
		dir = t.TempDir()
	}
	if addr == "" {
		addr = freeAddr(t)
	}
	vars := map[string]string{
		"ADDR":           addr,
		"DATABASE_URL":   "sqlite:" + filepath.Join(dir, "d.db"),
		"TEMPLATE_DELAY": "150ms",
		"GENERATOR":      "template",
		"SWEEP_INTERVAL": "500ms",
	}
	for k, v := range o.env {
		vars[k] = v
	}
	cmd := exec.Command(binary, append([]string{"serve"}, o.args...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v) // the last value of a key wins
	}
	s := &Server{URL: "http://" + addr, Dir: dir, DatabaseURL: vars["DATABASE_URL"], opts: o, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	s.opts.dir, s.opts.addr = dir, addr
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dossier: %v", err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("dossier logs:\n%s", s.Logs())
		}
	})
	if o.worker {
		s.waitLog(t, "dossier worker running", 30*time.Second)
		return s
	}
	s.waitHealthy(t, 30*time.Second)
	return s
}

func (s *Server) waitLog(t *testing.T, text string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(s.Logs(), text) {
		select {
		case <-s.done:
			t.Fatalf("dossier exited:\n%s", s.Logs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("dossier did not say %q within %s:\n%s", text, within, s.Logs())
		}
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *Server) kill(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Kill()
	<-s.done
}

// restart starts the process again on the same database and address.
func (s *Server) restart(t *testing.T) *Server {
	t.Helper()
	return startServerWith(t, s.opts)
}

func (s *Server) waitHealthy(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(s.URL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.done:
			t.Fatalf("dossier exited before it was healthy:\n%s", s.Logs())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dossier not healthy within %s (last error: %v):\n%s", within, err, s.Logs())
		}
	}
}

// stop sends SIGTERM and waits for a graceful exit, killing the process if
// it takes too long.
func (s *Server) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Errorf("dossier did not stop within 30s of SIGTERM; killing it")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// freeAddr finds a free loopback port. The port is released before dossier
// binds it; a collision in that window is unlikely and fails loudly.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the process's two writers and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// chromiumPath is CHROMIUM_PATH or Debian's /usr/bin/chromium.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context, which ends with the test (or after timeout). A failing
// test leaves a screenshot of the page it failed on.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("DOSSIER_REQUIRE_BROWSER") != "" {
			t.Fatalf("DOSSIER_REQUIRE_BROWSER is set but Chromium is not at %s: %v", path, err)
		}
		t.Skip("browser suite skipped: Chromium not found")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, ctx, "failure")
		}
		cancelTab()
		cancelAlloc() // waits for Chromium to exit, before its profile is removed
	})
	// The first Do starts the browser; it must not run under a timeout, which
	// would end the browser with it. Steps get their own deadlines (act).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return ctx
}

// act runs browser steps with a deadline of their own, so a missing element
// fails the step that waited for it rather than hanging the test.
func act(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(stepCtx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// value runs one browser action that returns a value, with a deadline.
func value[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(stepCtx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// screenshot saves the whole page as e2e/screenshots/<test>-<name>.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shotCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(shotCtx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll("screenshots", 0o755); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join("screenshots", unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot: e2e/%s", file)
}
