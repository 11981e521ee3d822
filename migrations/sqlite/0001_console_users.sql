-- Console users and the one-time setup marker (a second owner setup hits the primary key).
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    set_up_at BIGINT NOT NULL
);

CREATE TABLE console_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at BIGINT NOT NULL
);
