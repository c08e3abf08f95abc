-- A MySQL/MariaDB fix script
SET SESSION lock_wait_timeout = 5;
ALTER TABLE `posts` ADD INDEX `posts_author_idx` (`author_id`), ADD KEY (`editor_id`),
  ADD UNIQUE KEY `posts_slug_uq` (`slug`), ALGORITHM=INPLACE, LOCK=NONE;
ALTER TABLE `shop`.`comments` ADD CONSTRAINT `comments_post_fk` FOREIGN KEY (`post_id`) REFERENCES `posts` (`id`) ON DELETE CASCADE;
ALTER TABLE posts ADD COLUMN `Flag` TINYINT(1) NOT NULL DEFAULT 0, ADD `created` DATETIME NULL;  # MySQL comment
CREATE UNIQUE INDEX posts_code_uq ON posts (code);
ALTER TABLE posts RENAME COLUMN `Body` TO `content`;
