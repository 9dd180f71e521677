package handlers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"dossier/jobs"
	"dossier/jobs/documents"
	"dossier/views/layouts"
	"dossier/views/pages"
	"dossier/views/partials"
)

// The rollout switch's fallback (BACKGROUND_GENERATION=off): the original
// behaviour, in which the generate page itself runs the generation. The page
// is streamed as HTML while the documents are written one after another, and
// its request's lifetime is the generation's: when the user leaves, the next
// write fails (or the socket peek sees the client's FIN) and the generator's
// context is cancelled. Nothing is stored as a job. While a document is
// being written, the stream beats (cfg.ForegroundHeartbeat): the page's
// watchdog (foreground.js) says the connection was lost when the beats stop.

// foregroundStream is GET /projects/:id/generate/stream?docs=a&docs=b.
func (s *Server) foregroundStream(c *fiber.Ctx) error {
	u := currentUser(c)
	project, err := s.db.ProjectForUser(c.UserContext(), u.ID, c.Params("id"))
	if err != nil {
		return err
	}
	if s.cfg.BackgroundGeneration {
		return c.Redirect("/projects/"+project.ID+"/generate", fiber.StatusSeeOther)
	}
	if s.gen == nil {
		return Errorf(fiber.StatusServiceUnavailable, "no_generator", "no document generator is configured")
	}
	var keys []string
	for _, v := range c.Context().QueryArgs().PeekMulti("docs") {
		if k := strings.TrimSpace(string(v)); k != "" {
			keys = append(keys, k) // string() copies out of fasthttp's buffer
		}
	}
	order, err := documents.Resolve(keys)
	if err != nil {
		return &Error{Status: fiber.StatusUnprocessableEntity, Code: "validation_failed", Message: err.Error()}
	}

	// Render the page around the stream now, while c is valid.
	beat := s.cfg.ForegroundHeartbeat
	vm := pages.ForegroundVM{ProjectID: project.ID, ProjectName: project.Name, HeartbeatMS: int(beat.Milliseconds())}
	for _, k := range order {
		vm.Titles = append(vm.Titles, docTitle(k))
	}
	var buf bytes.Buffer
	layout := s.layout(c, pages.ForegroundTitlePrefix+project.Name, "projects")
	ctx := templ.WithChildren(c.UserContext(), pages.ForegroundPage(vm))
	if err := layouts.Base(layout).Render(ctx, &buf); err != nil {
		return err
	}
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(pages.StreamMarker))
	if !ok {
		return errors.New("foreground page: stream marker missing")
	}
	run := &foregroundRun{
		gen: s.gen, order: order, titles: vm.Titles, head: head, tail: tail, beat: beat,
		base: documents.Request{ProjectName: project.Name, Description: project.Description,
			Project: project.Data, Company: project.CompanyIntelligencePack},
	}

	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	shutdown, conn := s.done, c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer func() {
			if r := recover(); r != nil {
				slog.Error("foreground generation panicked", "panic", r, "stack", string(debug.Stack()))
			}
		}()
		run.stream(&sse{w: w, conn: conn, timeout: writeTimeout(beat)}, shutdown)
	})
	return nil
}

// foregroundRun is one foreground generation: what the stream writer needs,
// copied out of the request.
type foregroundRun struct {
	gen        documents.Generator
	base       documents.Request
	order      []string
	titles     []string
	head, tail []byte
	// beat is the heartbeat's interval.
	beat time.Duration
}

// foregroundResult is one document's outcome.
type foregroundResult struct {
	index int
	doc   documents.Document
	took  time.Duration
	err   error
}

// stream writes the page and runs the generation under a context that ends
// with the stream: a failed write, a closed client or a shutdown cancel it.
func (r *foregroundRun) stream(e *sse, shutdown <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan foregroundResult)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		r.generate(ctx, results)
	}()
	defer func() {
		cancel()
		<-finished // the generator honours ctx; never leave it running
	}()

	total := len(r.order)
	write := func(parts ...[]byte) bool {
		for _, p := range parts {
			e.w.Write(p)
		}
		return e.flush() == nil
	}
	if !write(r.head, r.step(0, "working", "Generating "+r.titles[0]+"…")) {
		return
	}
	started := time.Now()
	beat := time.NewTicker(r.beat)
	defer beat.Stop()
	for {
		select {
		case res := <-results:
			done := res.index
			if res.err != nil {
				msg := fmt.Sprintf("Generation stopped at %s: %s. %s generated.",
					r.titles[res.index], errorText(res.err), partials.DocumentsOf(done, total))
				write(r.final(done, "failed", msg, "Generation stopped"), r.tail)
				return
			}
			done++
			doc := pages.ForegroundDoc{Title: res.doc.Title, HTML: documents.RenderHTML(res.doc.Markdown),
				Duration: fmt.Sprintf("%.1f s", res.took.Seconds()), N: done, Total: total,
				FileName: r.order[res.index] + ".md", DownloadURL: markdownDataURL(res.doc.Markdown)}
			if doc.Title == "" {
				doc.Title = r.titles[res.index]
			}
			if done == total {
				msg := fmt.Sprintf("All %d documents generated in %s. They are shown on this page only and were not saved: download the ones you keep.", total, span(time.Since(started)))
				heading := fmt.Sprintf("%d documents generated", total)
				if total == 1 {
					heading = "1 document generated"
					msg = fmt.Sprintf("The document was generated in %s. It is shown on this page only and was not saved: download it to keep it.", span(time.Since(started)))
				}
				if write(renderBytes(pages.ForegroundDocView(doc)), r.final(done, "done", msg, heading), r.tail) && e.conn != nil {
					e.conn.SetWriteDeadline(time.Time{})
				}
				return
			}
			if !write(renderBytes(pages.ForegroundDocView(doc)), r.step(done, "working", "Generating "+r.titles[done]+"…")) {
				return
			}
		case <-beat.C:
			// The beat is invisible in the page; it tells the page the
			// server is still there, and writing it is how a client that
			// went away without a FIN shows.
			if peerClosed(e.conn) || !write([]byte(pages.StreamBeat)) {
				return
			}
		case <-shutdown:
			write(r.final(0, "failed", "The server is restarting, so the generation stopped. Reload the page to start again.", "Generation stopped"), r.tail)
			return
		}
	}
}

// generate writes the documents one at a time in the order the jobs'
// dependency scheduler gives (the one background runs use, with one slot:
// the page shows them in order), each with the ones it depends on, and
// stops at the first error or when ctx ends.
func (r *foregroundRun) generate(ctx context.Context, out chan<- foregroundResult) {
	index := make(map[string]int, len(r.order))
	for i, t := range r.order {
		index[t] = i
	}
	sched := jobs.NewScheduler(r.order, nil, 1)
	done := map[string]documents.Document{}
	for next := sched.Next(); len(next) > 0; next = sched.Next() {
		typ := next[0]
		req := r.base
		req.Type = typ
		for _, k := range r.order { // in the catalog's order
			if slices.Contains(sched.Deps(typ), k) {
				req.Dependencies = append(req.Dependencies, done[k])
			}
		}
		start := time.Now()
		doc, err := r.gen.Generate(ctx, req)
		if ctx.Err() != nil {
			return // the stream ended; nobody is listening
		}
		select {
		case out <- foregroundResult{index: index[typ], doc: doc, took: time.Since(start), err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
		done[typ] = doc
		sched.Done(typ)
	}
}

func (r *foregroundRun) step(done int, kind, text string) []byte {
	return renderBytes(pages.ForegroundStepView(pages.ForegroundStep{Text: text, Done: done, Total: len(r.order), Kind: kind}))
}

// final is the run's last status line, which also gives the page its
// final heading.
func (r *foregroundRun) final(done int, kind, text, heading string) []byte {
	return renderBytes(pages.ForegroundStepView(pages.ForegroundStep{Text: text, Done: done, Total: len(r.order), Kind: kind, Heading: heading}))
}

// markdownDataURL carries a document as a download link's data: URL.
func markdownDataURL(md string) templ.SafeURL {
	return templ.SafeURL("data:text/markdown;charset=utf-8," + url.PathEscape(md))
}

// errorText is an error as the page shows it, without the classification
// prefix.
func errorText(err error) string {
	var p *documents.PermanentError
	var t *documents.RetryableError
	switch {
	case errors.As(err, &p):
		err = p.Err
	case errors.As(err, &t):
		err = t.Err
	}
	return err.Error()
}
