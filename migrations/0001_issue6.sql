CREATE TABLE `sla_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ticket_id` integer NOT NULL,
	`metric` text NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`target` text NOT NULL,
	`due_at` integer NOT NULL,
	`recorded_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sla_events_ticket_metric_kind_unique` ON `sla_events` (`ticket_id`,`metric`,`kind`);