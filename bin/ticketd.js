#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// The published entry point: the compiled CLI (npm's `prepare` builds dist/ on install).
// The first line holds the daemon's runtime settings (src/shared/launch.ts reads them; the Dockerfile and
// deploy/ticketd.service repeat them): two malloc arenas instead of one per thread and a 2 MB young generation
// keep the resident memory of a draining daemon lower at the same ingest rate (BENCHMARKS.md, issue 17).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
