ALTER TABLE `attachments` ADD `text` text;--> statement-breakpoint
ALTER TABLE `ticket_messages` ADD `from_outside_organisation` integer DEFAULT false NOT NULL;