import { runCli } from './cli/program.js';

/** The bin's entry: argv in, exit code out. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv);
}
