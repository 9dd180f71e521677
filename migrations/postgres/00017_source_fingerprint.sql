-- +goose Up
-- A version records what it was written from: the fingerprint (SHA-256,
-- hex) of the project data and company pack its job snapshotted
-- (models.Fingerprint). The job's is computed once, when the job is
-- created, and the group commit copies it onto each artifact it inserts
-- (INSERT … SELECT from the job row): nothing is hashed per document. A
-- hand edit inherits its base version's. The project library compares it
-- with the project's current fingerprint: a difference is "project changed
-- since this version". Versions written before this migration have none,
-- and are not known to be out of date.
ALTER TABLE document_generation_jobs ADD COLUMN source_hash text;
ALTER TABLE artifacts ADD COLUMN source_hash text;

-- +goose Down
ALTER TABLE artifacts DROP COLUMN source_hash;
ALTER TABLE document_generation_jobs DROP COLUMN source_hash;
