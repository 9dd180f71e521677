-- +goose Up
-- One sync-position bump per user per transaction. Every row a transaction
-- changes for a user carries the same new position: a tab reads a
-- transaction's changes together or not at all, so one position per
-- transaction is enough, and positions still follow commit order (the first
-- bump takes the user's row lock until the commit). The group commit
-- changes dozens of a user's rows in one transaction: it used to update the
-- user's row once per changed row, each a new row version to write and to
-- clean up. sync_xact is the transaction that made the last bump; only the
-- trigger writes it, so another change to the user's row in the same
-- transaction is never taken for a bump.
ALTER TABLE users ADD COLUMN sync_xact xid8;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION dossier_sync_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pos bigint;
    bumped boolean;
BEGIN
    SELECT sync_position, sync_xact IS NOT DISTINCT FROM pg_current_xact_id() INTO pos, bumped
        FROM users WHERE id = NEW.user_id;
    IF bumped THEN
        NEW.sync_position := pos;
    ELSE
        UPDATE users SET sync_position = sync_position + 1, sync_xact = pg_current_xact_id()
            WHERE id = NEW.user_id
            RETURNING sync_position INTO NEW.sync_position;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION dossier_sync_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id
        RETURNING sync_position INTO NEW.sync_position;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
ALTER TABLE users DROP COLUMN sync_xact;
