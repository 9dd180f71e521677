package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Fingerprint identifies the inputs a document is written from: the SHA-256
// (hex) of the project data and company pack in one canonical
// serialisation, the structs' JSON. A job records its snapshot's when it
// is created, and its versions carry it (migration 00017); the project's
// current one is computed the same way, so an unchanged project matches
// whatever way it was saved, and a changed one does not. Field order is the
// structs', not the stored JSON's (jsonb reorders keys). A missing pack is
// an empty one: a project always has one, empty or not. Data that cannot
// be serialised has none ("").
func Fingerprint(data ProjectData, pack *CompanyPack) string {
	var cp CompanyPack
	if pack != nil {
		cp = *pack
	}
	b, err := json.Marshal(struct {
		Data ProjectData `json:"data"`
		Pack CompanyPack `json:"companyIntelligencePack"`
	}{data, cp})
	if err != nil {
		// Only a float that is not finite fails, and validation refuses
		// those before anything is stored: no fingerprint, nothing flagged.
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Fingerprint is the project's current one: what a version written now
// would record.
func (p *Project) Fingerprint() string {
	return Fingerprint(p.Data, &p.CompanyIntelligencePack)
}

// ProjectChanged reports whether the version was written from other project
// data or company pack than the project's current ones (fingerprint, from
// Project.Fingerprint). A version without a fingerprint (written before
// migration 00017) is not known to be out of date: false.
func (a *Artifact) ProjectChanged(fingerprint string) bool {
	return a.SourceHash != nil && fingerprint != "" && *a.SourceHash != fingerprint
}
