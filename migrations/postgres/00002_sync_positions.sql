-- +goose Up
-- Sync positions (README, "Live sync"). Each user has a counter that every
-- user-visible change bumps, in the changing transaction; the changed row is
-- stamped with the new value. A tab that saw everything up to position P asks
-- for the rows with sync_position > P. The counter's row lock serialises a
-- user's changes, so positions follow commit order.
ALTER TABLE users ADD COLUMN sync_position bigint NOT NULL DEFAULT 0;
ALTER TABLE document_generation_jobs ADD COLUMN sync_position bigint NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN sync_position bigint NOT NULL DEFAULT 0;
CREATE INDEX idx_generation_jobs_sync ON document_generation_jobs (user_id, sync_position);
CREATE INDEX notifications_sync_idx ON notifications (user_id, sync_position);

-- +goose StatementBegin
CREATE FUNCTION dossier_sync_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id
        RETURNING sync_position INTO NEW.sync_position;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER jobs_sync_insert BEFORE INSERT ON document_generation_jobs
    FOR EACH ROW EXECUTE FUNCTION dossier_sync_stamp();
-- A heartbeat renews only lease_expires_at: it is not a visible change.
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
CREATE TRIGGER notifications_sync_insert BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION dossier_sync_stamp();
CREATE TRIGGER notifications_sync_update BEFORE UPDATE ON notifications
    FOR EACH ROW WHEN (
        OLD.shown_at IS DISTINCT FROM NEW.shown_at
        OR OLD.read_at IS DISTINCT FROM NEW.read_at)
    EXECUTE FUNCTION dossier_sync_stamp();

-- +goose Down
DROP TRIGGER notifications_sync_update ON notifications;
DROP TRIGGER notifications_sync_insert ON notifications;
DROP TRIGGER jobs_sync_update ON document_generation_jobs;
DROP TRIGGER jobs_sync_insert ON document_generation_jobs;
DROP FUNCTION dossier_sync_stamp();
DROP INDEX notifications_sync_idx;
DROP INDEX idx_generation_jobs_sync;
ALTER TABLE notifications DROP COLUMN sync_position;
ALTER TABLE document_generation_jobs DROP COLUMN sync_position;
ALTER TABLE users DROP COLUMN sync_position;
