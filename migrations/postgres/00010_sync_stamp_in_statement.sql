-- +goose Up
-- The queue's hot statements (the claim, the group commit's job update and
-- its notifications) stamp their rows' sync positions themselves: the
-- statement bumps each owner's position once per transaction (as
-- dossier_sync_stamp does, with users.sync_xact) and sets the rows'
-- sync_position from it. The row triggers then skip those rows: a row
-- whose statement set a new position, or a notification inserted with one,
-- needs no stamp. A PL/pgSQL call per row cost about 24 µs of server time,
-- the most expensive part of the claim and of the job update. Every other
-- write leaves sync_position alone and is stamped by the triggers as
-- before.
DROP TRIGGER jobs_sync_update ON document_generation_jobs;
CREATE TRIGGER jobs_sync_update BEFORE UPDATE ON document_generation_jobs
    FOR EACH ROW WHEN (
        (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.version IS DISTINCT FROM NEW.version
        OR OLD.progress_percentage IS DISTINCT FROM NEW.progress_percentage
        OR OLD.completed_documents IS DISTINCT FROM NEW.completed_documents
        OR OLD.current_document IS DISTINCT FROM NEW.current_document
        OR OLD.error_message IS DISTINCT FROM NEW.error_message
        OR OLD.run_at IS DISTINCT FROM NEW.run_at
        OR OLD.retry_count IS DISTINCT FROM NEW.retry_count
        OR OLD.cancel_requested_at IS DISTINCT FROM NEW.cancel_requested_at
        OR OLD.completed_at IS DISTINCT FROM NEW.completed_at)
        AND OLD.sync_position IS NOT DISTINCT FROM NEW.sync_position)
    EXECUTE FUNCTION dossier_sync_stamp();
DROP TRIGGER notifications_sync_insert ON notifications;
CREATE TRIGGER notifications_sync_insert BEFORE INSERT ON notifications
    FOR EACH ROW WHEN (NEW.sync_position = 0) EXECUTE FUNCTION dossier_sync_stamp();
-- Every query of locked_by also asks status = 'processing', which the
-- lease index covers: this index was one more entry written by every claim.
DROP INDEX idx_generation_jobs_locked_by;

-- +goose Down
CREATE INDEX idx_generation_jobs_locked_by ON document_generation_jobs (locked_by)
    WHERE locked_by IS NOT NULL;
DROP TRIGGER notifications_sync_insert ON notifications;
CREATE TRIGGER notifications_sync_insert BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION dossier_sync_stamp();
DROP TRIGGER jobs_sync_update ON document_generation_jobs;
CREATE TRIGGER jobs_sync_update BEFORE UPDATE ON document_generation_jobs
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status
        OR OLD.version IS DISTINCT FROM NEW.version
        OR OLD.progress_percentage IS DISTINCT FROM NEW.progress_percentage
        OR OLD.completed_documents IS DISTINCT FROM NEW.completed_documents
        OR OLD.current_document IS DISTINCT FROM NEW.current_document
        OR OLD.error_message IS DISTINCT FROM NEW.error_message
        OR OLD.run_at IS DISTINCT FROM NEW.run_at
        OR OLD.retry_count IS DISTINCT FROM NEW.retry_count
        OR OLD.cancel_requested_at IS DISTINCT FROM NEW.cancel_requested_at
        OR OLD.completed_at IS DISTINCT FROM NEW.completed_at)
    EXECUTE FUNCTION dossier_sync_stamp();
