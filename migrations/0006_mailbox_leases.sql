CREATE TABLE `mailbox_leases` (
	`mailbox` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`token` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`taken_at` integer NOT NULL
);
