package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Fingerprint identifies the inputs a document is written from: the
// project's name and description (in every title, and in the model's
// prompt), its data and its company pack, as the SHA-256 (hex) of one
// canonical serialisation: the structs' JSON, decoded and encoded again
// (object keys sorted), with every line ending as LF (a browser sends a
// textarea's as CRLF: a project saved unchanged from its form must match).
// A job made from the project's own inputs records the project's
// (NewJob.SourceHash), and its versions carry it (migration 00017); the
// project's current one is computed the same way, so an unchanged project
// matches whatever way it was saved, and a changed one does not. A missing
// pack is an empty one. Inputs that cannot be serialised have none ("").
//
// The serialisation is pinned by a golden test: a change to it (a new
// field without omitempty, a renamed tag) would mark every document of
// every project out of date at the upgrade.
func Fingerprint(name, description string, data ProjectData, pack *CompanyPack) string {
	var cp CompanyPack
	if pack != nil {
		cp = *pack
	}
	b, err := json.Marshal(struct {
		Name        string      `json:"name"`
		Description string      `json:"description"`
		Data        ProjectData `json:"data"`
		Pack        CompanyPack `json:"companyIntelligencePack"`
	}{name, description, data, cp})
	if err != nil {
		// Only a float that is not finite fails, and validation refuses
		// those before anything is stored: no fingerprint, nothing flagged.
		return ""
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return ""
	}
	if b, err = json.Marshal(lfOnly(v)); err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// lfOnly turns CRLF and CR into LF in every string of a decoded JSON value.
func lfOnly(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(strings.ReplaceAll(x, "\r\n", "\n"), "\r", "\n")
	case []any:
		for i := range x {
			x[i] = lfOnly(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = lfOnly(x[k])
		}
	}
	return v
}

// Fingerprint is the project's current one: what a version written now
// from the project's inputs would record.
func (p *Project) Fingerprint() string {
	return Fingerprint(p.Name, p.Description, p.Data, &p.CompanyIntelligencePack)
}

// ProjectChanged reports whether the version was written from other project
// data or company pack than the project's current ones (fingerprint, from
// Project.Fingerprint). A version without a fingerprint (written before
// migration 00017) is not known to be out of date: false.
func (a *Artifact) ProjectChanged(fingerprint string) bool {
	return a.SourceHash != nil && fingerprint != "" && *a.SourceHash != fingerprint
}
