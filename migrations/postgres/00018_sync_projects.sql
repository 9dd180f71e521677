-- +goose Up
-- A saved project is a user-visible change (README, "Live sync"): its
-- name shows in headings, lists and job cards, and its name, description,
-- data and company pack are what the library's "Project changed since this
-- version" compares with (models.Fingerprint). A save that changes one of
-- them bumps the owner's sync position and stamps the project, like the
-- versions of 00009, so that every open tab of the project's page catches
-- up from positions, after a reconnect too. A save that changes nothing of
-- them (a form sent unchanged: updated_at only) and the run counter
-- (last_run_number, 00012) are not changes. The trigger takes the owner's
-- row: a writer takes it before the project's row (models.UpdateProject),
-- in the group commit's order.
ALTER TABLE projects ADD COLUMN sync_position bigint NOT NULL DEFAULT 0;
CREATE INDEX projects_sync_idx ON projects (user_id, sync_position);
CREATE TRIGGER projects_sync_update BEFORE UPDATE ON projects
    FOR EACH ROW WHEN (
        (OLD.name IS DISTINCT FROM NEW.name
        OR OLD.description IS DISTINCT FROM NEW.description
        OR OLD.data IS DISTINCT FROM NEW.data
        OR OLD.company_intelligence_pack IS DISTINCT FROM NEW.company_intelligence_pack)
        AND OLD.sync_position IS NOT DISTINCT FROM NEW.sync_position)
    EXECUTE FUNCTION dossier_sync_stamp();

-- +goose Down
DROP TRIGGER projects_sync_update ON projects;
DROP INDEX projects_sync_idx;
ALTER TABLE projects DROP COLUMN sync_position;
