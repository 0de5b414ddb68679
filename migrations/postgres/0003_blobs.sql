CREATE TABLE "blobs" (
	"key" text PRIMARY KEY NOT NULL,
	"store" text NOT NULL,
	"sha256" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"size" bigint NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
