-- +goose Up
-- PostgreSQL's 00015 leaves room on job_documents' pages for HOT updates;
-- SQLite has no such setting.
SELECT 1;

-- +goose Down
SELECT 1;
