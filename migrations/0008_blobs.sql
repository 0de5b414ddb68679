CREATE TABLE `blobs` (
	`key` text PRIMARY KEY NOT NULL,
	`store` text NOT NULL,
	`sha256` text NOT NULL,
	`bytes` blob NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL
);
