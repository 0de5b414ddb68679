#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --heap-growing-percent=30
// The published entry point: the compiled CLI (npm's `prepare` builds dist/ on install).
// The first line holds the daemon's runtime settings (src/shared/launch.ts reads them; the Dockerfile and
// deploy/ticketd.service repeat them): two malloc arenas instead of one per thread, a 2 MB young generation and
// a heap that grows 30% above what is live after a full collection keep a draining daemon under 200 MB RSS
// (README, Runtime settings; BENCHMARKS.md, issue 17).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
