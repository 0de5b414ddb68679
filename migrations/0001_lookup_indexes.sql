CREATE INDEX `inbound_raw_sha256_idx` ON `inbound_messages` (`raw_sha256`);--> statement-breakpoint
CREATE INDEX `outbox_ticket_idx` ON `outbox` (`ticket_id`);