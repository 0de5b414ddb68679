DROP INDEX `sla_events_ticket_metric_kind_unique`;--> statement-breakpoint
ALTER TABLE `sla_events` ADD `cycle` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `sla_events_ticket_metric_kind_cycle_unique` ON `sla_events` (`ticket_id`,`metric`,`kind`,`cycle`);--> statement-breakpoint
ALTER TABLE `tickets` ADD `update_clock_from` integer;