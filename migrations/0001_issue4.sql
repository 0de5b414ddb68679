CREATE TABLE `ticket_participants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ticket_id` integer NOT NULL,
	`address` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_participants_unique` ON `ticket_participants` (`ticket_id`,`address`);--> statement-breakpoint
ALTER TABLE `ticket_messages` ADD `visibility` text DEFAULT 'public' NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `assignee` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `resolved_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `closed_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `linked_ticket_id` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `thread_index` text;