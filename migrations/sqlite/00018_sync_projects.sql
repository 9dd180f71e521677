-- +goose Up
-- PostgreSQL's 00018: a save that changes a project's name, description,
-- data or company pack bumps the owner's sync position and stamps the
-- project; updated_at alone and the run counter do not.
ALTER TABLE projects ADD COLUMN sync_position integer NOT NULL DEFAULT 0;
CREATE INDEX projects_sync_idx ON projects (user_id, sync_position);

-- +goose StatementBegin
CREATE TRIGGER projects_sync_update AFTER UPDATE OF name, description, data, company_intelligence_pack ON projects
    WHEN OLD.name IS NOT NEW.name
        OR OLD.description IS NOT NEW.description
        OR OLD.data IS NOT NEW.data
        OR OLD.company_intelligence_pack IS NOT NEW.company_intelligence_pack
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE projects SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER projects_sync_update;
DROP INDEX projects_sync_idx;
ALTER TABLE projects DROP COLUMN sync_position;
