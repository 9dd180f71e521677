-- +goose Up
-- PostgreSQL's 00019: a new project bumps the owner's sync position and
-- stamps the project, so that the owner's other tabs list it.
-- +goose StatementBegin
CREATE TRIGGER projects_sync_insert AFTER INSERT ON projects
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE projects SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER projects_sync_insert;
