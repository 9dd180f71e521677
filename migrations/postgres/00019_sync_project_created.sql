-- +goose Up
-- A new project is a user-visible change too: the dashboard and the
-- Projects page of the owner's other tabs list it (README, "Live sync").
-- It bumps the owner's sync position and stamps the project, as a save
-- does (00018). A project's removal leaves no row: it is a removal
-- (users.sync_removed_at, 00016), after which the owner's tabs resync.
CREATE TRIGGER projects_sync_insert BEFORE INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION dossier_sync_stamp();

-- +goose Down
DROP TRIGGER projects_sync_insert ON projects;
