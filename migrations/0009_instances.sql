CREATE TABLE `instances` (
	`holder` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL,
	`seen_at` integer NOT NULL
);
