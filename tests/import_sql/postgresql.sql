-- A PostgreSQL fix script, the way a DBA writes one (and schemalint/dexter suggest).
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_author_id_idx ON "public"."posts" USING btree (author_id);
CREATE INDEX ON "public"."posts" ("author_id"); CREATE UNIQUE INDEX posts_slug_key ON posts (Slug, "Lang");
BEGIN;
ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id)
    REFERENCES posts (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE comments VALIDATE CONSTRAINT comments_post_fk;
ALTER TABLE comments ADD FOREIGN KEY (tenant_id, post_id) REFERENCES posts (tenant_id, id) ON UPDATE RESTRICT;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS status varchar(20) NOT NULL DEFAULT 'draft'::character varying,
    ADD COLUMN score double precision DEFAULT -1.5,
    ADD COLUMN published boolean DEFAULT false,
    ADD COLUMN editor_id bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE posts RENAME COLUMN body TO content;
ALTER TABLE posts RENAME title TO headline;
ALTER TABLE posts ADD CONSTRAINT posts_code_key UNIQUE (code);
COMMIT;
