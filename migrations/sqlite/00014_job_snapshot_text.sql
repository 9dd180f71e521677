-- +goose Up
-- PostgreSQL's 00014 keeps each job's snapshot as JSON text for the claim;
-- SQLite stores JSON as text already, and its claim reads it as stored.
SELECT 1;

-- +goose Down
SELECT 1;
