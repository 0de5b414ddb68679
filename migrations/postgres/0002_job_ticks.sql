CREATE TABLE "job_ticks" (
	"job" text PRIMARY KEY NOT NULL,
	"last_tick" timestamp (3) with time zone NOT NULL,
	"holder" text NOT NULL,
	"claimed_at" timestamp (3) with time zone NOT NULL
);
