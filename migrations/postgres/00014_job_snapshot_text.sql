-- +goose Up
-- The claim hands each run its job's snapshot (project_data and
-- company_intelligence_pack) as JSON text. Printing them from jsonb cost
-- about 38 µs a job (detoasting, decompressing, jsonb's output function),
-- inside the one transaction at a time the group commit runs. Their text is
-- kept here, written with the job, and the claim sends it as stored (about
-- 10 µs to detoast and decompress; 5 µs uncompressed, but at twice the
-- space). A table of its own, not columns of the job, so that reading a
-- job row does not read it too.
CREATE TABLE job_snapshots (
    job_id uuid PRIMARY KEY REFERENCES document_generation_jobs(id) ON DELETE CASCADE,
    project_text text NOT NULL,
    company_text text
);

-- +goose StatementBegin
CREATE FUNCTION dossier_job_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_snapshots (job_id, project_text, company_text)
    VALUES (NEW.id, NEW.project_data::text, NEW.company_intelligence_pack::text)
    ON CONFLICT (job_id) DO UPDATE SET project_text = EXCLUDED.project_text, company_text = EXCLUDED.company_text;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER jobs_snapshot_text AFTER INSERT OR UPDATE OF project_data, company_intelligence_pack
    ON document_generation_jobs FOR EACH ROW EXECUTE FUNCTION dossier_job_snapshot();

-- The jobs still to run get theirs; a job without one (none after this)
-- is claimed from its jsonb.
INSERT INTO job_snapshots (job_id, project_text, company_text)
SELECT id, project_data::text, company_intelligence_pack::text
FROM document_generation_jobs WHERE status IN ('queued', 'processing');

-- +goose Down
DROP TRIGGER jobs_snapshot_text ON document_generation_jobs;
DROP FUNCTION dossier_job_snapshot();
DROP TABLE job_snapshots;
