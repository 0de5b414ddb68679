CREATE TABLE `job_ticks` (
	`job` text PRIMARY KEY NOT NULL,
	`last_tick` integer NOT NULL,
	`holder` text NOT NULL,
	`claimed_at` integer NOT NULL
);
