package events

import (
	"encoding/json"

	"dossier/models"
)

// ControlChannel carries commands to the processors (a job to claim, a
// cancel to honour); Channel carries display changes (progress). A cancel
// never waits behind a burst of progress.
const ControlChannel = "dossier_control"

// maxPayload keeps a NOTIFY under PostgreSQL's 8000-byte limit.
const maxPayload = 7000

// Notifier encodes a transaction's changes as NOTIFYs sent inside it: ids
// only, one JSON array of events per channel (split only past the payload
// limit). instance is this process's broker instance, so that its own
// bridge ignores what it has already delivered in process.
func Notifier(instance string) models.Notifier {
	return func(changes []models.Change) []models.Notice {
		var control, display []Event
		for _, c := range changes {
			ev := Event{Kind: Kind(c.Kind), JobID: c.JobID, UserID: c.UserID, Version: c.Version, Origin: instance}
			if ev.Kind == JobChanged {
				display = append(display, ev)
			} else {
				control = append(control, ev)
			}
		}
		return append(encode(ControlChannel, control), encode(Channel, display)...)
	}
}

func encode(channel string, evs []Event) []models.Notice {
	var out []models.Notice
	for len(evs) > 0 {
		n := len(evs)
		for {
			b, _ := json.Marshal(evs[:n])
			if len(b) <= maxPayload || n == 1 {
				out = append(out, models.Notice{Channel: channel, Payload: string(b)})
				break
			}
			n /= 2
		}
		evs = evs[n:]
	}
	return out
}

// decodePayload reads a notification: one event (the bridge's sender) or
// an array of them (a transaction's batch).
func decodePayload(p string) ([]Event, error) {
	if len(p) > 0 && p[0] == '[' {
		var evs []Event
		err := json.Unmarshal([]byte(p), &evs)
		return evs, err
	}
	var ev Event
	err := json.Unmarshal([]byte(p), &ev)
	return []Event{ev}, err
}
