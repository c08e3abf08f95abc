-- A SQLite fix script
BEGIN TRANSACTION;
PRAGMA foreign_keys = OFF;
CREATE INDEX IF NOT EXISTS "posts_author_idx" ON "posts" ("author_id");
CREATE UNIQUE INDEX posts_slug_uq ON posts (slug);
ALTER TABLE posts ADD COLUMN note TEXT DEFAULT 'n/a';
ALTER TABLE posts RENAME COLUMN body TO content;
COMMIT;
