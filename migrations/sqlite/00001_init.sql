-- +goose Up
CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL,
    password_hash text NOT NULL,
    created_at    datetime NOT NULL,
    updated_at    datetime NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
    id           text PRIMARY KEY, -- sha256 of the cookie value
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   datetime NOT NULL,
    expires_at   datetime NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE, -- sha256; the token itself is shown once
    prefix       text NOT NULL,
    created_at   datetime NOT NULL,
    last_used_at datetime,
    revoked_at   datetime
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE projects (
    id                        text PRIMARY KEY,
    user_id                   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                      text NOT NULL CHECK (length(name) > 0),
    description               text NOT NULL DEFAULT '',
    data                      text NOT NULL DEFAULT '{}',
    company_intelligence_pack text NOT NULL DEFAULT '{}',
    created_at                datetime NOT NULL,
    updated_at                datetime NOT NULL
);
CREATE INDEX projects_user_idx ON projects (user_id, updated_at DESC);

CREATE TABLE document_generation_jobs (
    id                        text PRIMARY KEY,
    project_id                text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id                   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status                    text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    priority                  integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1 AND 1),
    project_data              text NOT NULL,
    company_intelligence_pack text,
    documents_to_generate     text NOT NULL DEFAULT '[]',
    total_documents           integer NOT NULL DEFAULT 0,
    completed_documents       integer NOT NULL DEFAULT 0,
    current_document          text,
    progress_percentage       integer NOT NULL DEFAULT 0 CHECK (progress_percentage BETWEEN 0 AND 100),
    generated_artifacts       text NOT NULL DEFAULT '[]',
    error_message             text,
    error_details             text,
    queued_at                 datetime NOT NULL,
    started_at                datetime,
    completed_at              datetime,
    estimated_completion      datetime,
    retry_count               integer NOT NULL DEFAULT 0,
    max_retries               integer NOT NULL DEFAULT 3,
    -- additions to the original analysis
    cancel_requested_at       datetime,
    locked_by                 text,
    lease_expires_at          datetime,
    fencing_token             integer NOT NULL DEFAULT 0,
    run_at                    datetime NOT NULL,
    idempotency_key           text,
    version                   integer NOT NULL DEFAULT 1,
    created_at                datetime NOT NULL,
    updated_at                datetime NOT NULL
);
CREATE INDEX idx_generation_jobs_status ON document_generation_jobs (status, user_id);
CREATE INDEX idx_generation_jobs_project ON document_generation_jobs (project_id);
CREATE INDEX idx_generation_jobs_claim ON document_generation_jobs (priority DESC, run_at, queued_at)
    WHERE status = 'queued';
CREATE INDEX idx_generation_jobs_lease ON document_generation_jobs (lease_expires_at)
    WHERE status = 'processing';
CREATE INDEX idx_generation_jobs_locked_by ON document_generation_jobs (locked_by)
    WHERE locked_by IS NOT NULL;
CREATE INDEX idx_generation_jobs_finished ON document_generation_jobs (completed_at)
    WHERE status IN ('completed', 'failed', 'cancelled');
CREATE UNIQUE INDEX idx_generation_jobs_one_active ON document_generation_jobs (project_id)
    WHERE status IN ('queued', 'processing');
CREATE UNIQUE INDEX idx_generation_jobs_idempotency ON document_generation_jobs (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE artifacts (
    id                text PRIMARY KEY,
    job_id            text REFERENCES document_generation_jobs (id) ON DELETE SET NULL,
    project_id        text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id           text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document_type     text NOT NULL,
    title             text NOT NULL,
    markdown          text NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    prompt_tokens     integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    created_at        datetime NOT NULL,
    CONSTRAINT artifacts_job_document_key UNIQUE (job_id, document_type)
);
CREATE INDEX artifacts_project_idx ON artifacts (project_id, document_type, version DESC);

CREATE TABLE job_documents (
    id                text PRIMARY KEY,
    job_id            text NOT NULL REFERENCES document_generation_jobs (id) ON DELETE CASCADE,
    document_type     text NOT NULL,
    position          integer NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'generating', 'completed', 'failed', 'skipped')),
    attempts          integer NOT NULL DEFAULT 0,
    started_at        datetime,
    completed_at      datetime,
    duration_ms       integer,
    error             text,
    artifact_id       text REFERENCES artifacts (id) ON DELETE SET NULL,
    prompt_tokens     integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    CONSTRAINT job_documents_job_type_key UNIQUE (job_id, document_type)
);

CREATE TABLE notifications (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id     text,
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT '',
    created_at datetime NOT NULL,
    shown_at   datetime, -- toasted in some tab
    read_at    datetime
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE job_documents;
DROP TABLE artifacts;
DROP TABLE document_generation_jobs;
DROP TABLE projects;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
