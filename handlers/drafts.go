package handlers

import (
	"encoding/json"

	"dossier/jobs/events"
	"dossier/models"
)

// draftFeed is what a stream does with drafts: wait for news, then write
// it. A nil feed of either kind never has news.
type draftFeed interface {
	ready() <-chan struct{}
	apply(e *sse) error
	close()
}

// draftStream is one stream's view of a job's drafts: the documents being
// written, as text that grows. It makes sure the client can always
// concatenate: the first message of a document (or of an attempt, or after
// anything the stream skipped) is the whole draft at offset 0, later ones
// continue it. Drafts of documents the stream already saw finished are not
// sent: a draft that arrives late never shows after its document.
type draftStream struct {
	hub  *events.DraftHub
	sub  *events.DraftSub
	now  []events.Draft
	sent map[string]draftSent // document type → what the client has
	// done lists the documents the latest snapshot shows finished.
	done map[string]bool
	// write sends one message; the format (JSON or HTML) is the stream's.
	write func(e *sse, m draftMsg) error
}

type draftSent struct {
	epoch int64
	n     int
}

// draftMsg is what a client receives. Dropped means the draft is gone: its
// document failed, was cancelled or was committed (then the document event
// carries the result).
type draftMsg struct {
	Type    string `json:"documentType"`
	Offset  int    `json:"offset"`
	Delta   string `json:"delta"`
	Dropped bool   `json:"dropped,omitempty"`
}

// subscribeDrafts watches the job's drafts; nil when drafts are off.
func subscribeDrafts(hub *events.DraftHub, jobID string, write func(e *sse, m draftMsg) error) *draftStream {
	if !hub.Enabled() {
		return nil
	}
	sub, now := hub.Subscribe(jobID)
	return &draftStream{hub: hub, sub: sub, now: now, sent: map[string]draftSent{}, done: map[string]bool{}, write: write}
}

// ready is the stream loop's signal; nil (never ready) without drafts.
func (d *draftStream) ready() <-chan struct{} {
	if d == nil {
		return nil
	}
	return d.sub.Ready()
}

func (d *draftStream) close() {
	if d != nil {
		d.sub.Close()
	}
}

// seen notes which documents the snapshot shows finished (any state but
// pending or generating); a retried document is pending again.
func (d *draftStream) seen(snap *models.JobSnapshot) {
	if d == nil {
		return
	}
	for _, doc := range snap.Documents {
		fin := doc.Status != models.DocPending && doc.Status != models.DocGenerating
		d.done[doc.DocumentType] = fin
		if fin {
			delete(d.sent, doc.DocumentType)
		}
	}
}

// start sends the drafts so far, each whole from offset 0: what a client
// that connects or reconnects mid-document sees first.
func (d *draftStream) start(e *sse, snap *models.JobSnapshot) error {
	if d == nil {
		return nil
	}
	d.seen(snap)
	now := d.now
	d.now = nil
	return d.send(e, now)
}

// apply sends what the subscription gathered.
func (d *draftStream) apply(e *sse) error {
	return d.send(e, d.sub.Take())
}

func (d *draftStream) send(e *sse, ds []events.Draft) error {
	for _, m := range ds {
		if d.done[m.Type] {
			continue
		}
		if m.Op == events.DraftDrop {
			if _, ok := d.sent[m.Type]; !ok {
				continue
			}
			delete(d.sent, m.Type)
			if m.Committed {
				continue // the document event follows, and says it all
			}
			if err := d.write(e, draftMsg{Type: m.Type, Dropped: true}); err != nil {
				return err
			}
			continue
		}
		if m.Op != events.DraftDelta {
			continue
		}
		have, ok := d.sent[m.Type]
		if !ok || have.epoch != m.Epoch || have.n != m.Offset {
			// The client cannot continue from here: send it all.
			text, ok := d.hub.Text(m.JobID, m.Type)
			if !ok {
				continue
			}
			m.Offset, m.Delta = 0, text
		}
		d.sent[m.Type] = draftSent{epoch: m.Epoch, n: m.Offset + len(m.Delta)}
		if err := d.write(e, draftMsg{Type: m.Type, Offset: m.Offset, Delta: m.Delta}); err != nil {
			return err
		}
	}
	return nil
}

// writeDraftJSON is the JSON job stream's draft event.
func writeDraftJSON(e *sse, m draftMsg) error {
	data, _ := json.Marshal(m)
	return e.event("draft", data)
}
