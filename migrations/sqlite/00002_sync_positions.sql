-- +goose Up
-- Sync positions (README, "Live sync"). Each user has a counter that every
-- user-visible change bumps, in the changing transaction; the changed row is
-- stamped with the new value. SQLite has one writer at a time, so positions
-- follow commit order. The stamp itself updates only sync_position, which no
-- trigger watches, so it never fires them again (recursive triggers are off
-- by default as well).
ALTER TABLE users ADD COLUMN sync_position integer NOT NULL DEFAULT 0;
ALTER TABLE document_generation_jobs ADD COLUMN sync_position integer NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN sync_position integer NOT NULL DEFAULT 0;
CREATE INDEX idx_generation_jobs_sync ON document_generation_jobs (user_id, sync_position);
CREATE INDEX notifications_sync_idx ON notifications (user_id, sync_position);

-- +goose StatementBegin
CREATE TRIGGER jobs_sync_insert AFTER INSERT ON document_generation_jobs
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE document_generation_jobs SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- A heartbeat renews only lease_expires_at: it is not a visible change.
-- +goose StatementBegin
CREATE TRIGGER jobs_sync_update AFTER UPDATE OF status, version, progress_percentage, completed_documents, current_document, error_message, run_at, retry_count, cancel_requested_at, completed_at ON document_generation_jobs
    WHEN OLD.status IS NOT NEW.status
        OR OLD.version IS NOT NEW.version
        OR OLD.progress_percentage IS NOT NEW.progress_percentage
        OR OLD.completed_documents IS NOT NEW.completed_documents
        OR OLD.current_document IS NOT NEW.current_document
        OR OLD.error_message IS NOT NEW.error_message
        OR OLD.run_at IS NOT NEW.run_at
        OR OLD.retry_count IS NOT NEW.retry_count
        OR OLD.cancel_requested_at IS NOT NEW.cancel_requested_at
        OR OLD.completed_at IS NOT NEW.completed_at
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE document_generation_jobs SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER notifications_sync_insert AFTER INSERT ON notifications
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE notifications SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER notifications_sync_update AFTER UPDATE OF shown_at, read_at ON notifications
    WHEN OLD.shown_at IS NOT NEW.shown_at
        OR OLD.read_at IS NOT NEW.read_at
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE notifications SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER notifications_sync_update;
DROP TRIGGER notifications_sync_insert;
DROP TRIGGER jobs_sync_update;
DROP TRIGGER jobs_sync_insert;
DROP INDEX notifications_sync_idx;
DROP INDEX idx_generation_jobs_sync;
ALTER TABLE notifications DROP COLUMN sync_position;
ALTER TABLE document_generation_jobs DROP COLUMN sync_position;
ALTER TABLE users DROP COLUMN sync_position;
