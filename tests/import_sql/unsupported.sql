/* Statements spec v1 cannot express; ';' in a comment does not end one */
CREATE INDEX posts_lower_email ON posts (lower(email));
CREATE INDEX posts_recent ON posts (created_at) WHERE deleted_at IS NULL;
CREATE INDEX posts_tags ON posts USING gin (tags);
CREATE INDEX posts_author_desc ON posts (author_id DESC);
CREATE INDEX posts_title_pattern ON posts (title text_pattern_ops);
ALTER TABLE posts ADD INDEX posts_title_prefix (title(10));
ALTER TABLE posts ADD COLUMN published_at timestamp DEFAULT now(),
  ADD COLUMN slug varchar(255) NOT NULL,
  ADD COLUMN tags text[];
ALTER TABLE posts ADD COLUMN code int UNIQUE;
ALTER TABLE posts CHANGE body content TEXT;
ALTER TABLE posts ALTER COLUMN title TYPE text;
ALTER TABLE posts DROP CONSTRAINT posts_author_fk;
CREATE TABLE audit (id int PRIMARY KEY);
UPDATE posts SET status = 'x';
CREATE INDEX "bad;name" ON posts (a);
\echo done
CREATE INDEX main.posts_a ON posts (a);
ALTER TABLE posts ADD COLUMN ok_col integer;
