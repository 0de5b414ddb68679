import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFuzz } from './fuzz.js';

/**
 * `npm run fuzz [-- --count N --seed S --dir DIR]`: N (default 10,000) mutated real mails from the corpus
 * (default ../shared/corpus) through ingest. Prints the figures as JSON; exit 1 on a crash or a missing outcome
 * or a mail slower than 2 s.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = path.resolve(option('dir', path.join(root, '..', 'shared', 'corpus')));
const count = Number(option('count', '10000'));
const seed = Number(option('seed', '14'));

function mailFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(eml|txt|msg)$/i.test(entry.name) && !/^(README|LICENSE)/i.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => statSync(file).size < 5 * 1024 * 1024);
}

const sources = mailFiles(dir).map((file) => ({ name: path.relative(dir, file), raw: readFileSync(file) }));
process.stderr.write(`fuzz: ${count} mutated mails from ${sources.length} files in ${dir}, seed ${seed}\n`);
const report = await runFuzz({
  sources,
  count,
  seed,
  onProgress: (done) => {
    if (done % 500 === 0) process.stderr.write(`  ${done}/${count}\n`);
  },
});
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(JSON.stringify({ ...report, files: sources.length, machine, date: new Date().toISOString() }, null, 2));
if (report.crashes > 0 || report.missingOutcomes !== 0 || report.slowestMs >= 2000) process.exitCode = 1;
