/**
 * `node dist/bench/bench/corpus/compare-replies.js --candidates=DIR`: the reply-text figures of ticketd's own
 * extractor beside planer and email-reply-parser, on the corpus's reply bodies and the same expected texts
 * (BENCHMARKS.md, "Reply extraction"). The libraries are not dependencies: install them elsewhere first,
 * `npm install --prefix DIR planer@1.2.0 email-reply-parser@2.3.7`. `--skip=a.txt,b.txt` leaves bodies out (a
 * candidate that hangs on one blocks the loop: there is no way to interrupt a synchronous regex).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { newTextOf } from '../../src/modules/conversations/reply-text.models.js';
import { loadExpectedReplies } from './report.js';

type Extract = (text: string) => string;
const option = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

async function main(): Promise<void> {
  const root = path.resolve(import.meta.dirname, import.meta.url.includes('/dist/bench/') ? '../../../..' : '../..');
  const candidatesDir = path.resolve(option('candidates') ?? '');
  const skip = new Set((option('skip') ?? '').split(',').filter(Boolean));
  const only = option('only');
  const require = createRequire(path.join(candidatesDir, 'package.json'));
  const tidy = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  const planer = require('planer') as { extractFromPlain(text: string): string };
  const erpPath = require.resolve('email-reply-parser');
  const { default: EmailReplyParser } = (await import(pathToFileURL(erpPath).href)) as { default: new () => { read(text: string): { getVisibleText(): string; getFragments(): Array<{ isQuoted(): boolean; getContent(): string }> } } };
  const candidates: Record<string, Extract> = {
    ticketd: newTextOf,
    planer: (text) => tidy(planer.extractFromPlain(text)),
    'email-reply-parser (fragments not quoted)': (text) => tidy(new EmailReplyParser().read(text).getFragments().filter((fragment) => !fragment.isQuoted()).map((fragment) => fragment.getContent()).join('\n')),
    'email-reply-parser (getVisibleText)': (text) => tidy(new EmailReplyParser().read(text).getVisibleText()),
  };
  const expected = loadExpectedReplies(path.join(root, 'bench/corpus/replies.expected.json'));
  for (const [name, extract] of Object.entries(candidates)) {
    if (only && name !== only) continue;
    const row: string[] = [];
    let slowest = { ms: 0, file: '' };
    for (const folder of ['replies-email_reply_parser/emails', 'replies-willdurand/Fixtures']) {
      let equal = 0;
      let total = 0;
      for (const file of readdirSync(path.join(root, '../shared/corpus', folder)).sort()) {
        if (skip.has(file)) continue;
        const text = readFileSync(path.join(root, '../shared/corpus', folder, file), 'utf8');
        const started = performance.now();
        const got = extract(text);
        const ms = performance.now() - started;
        if (ms > slowest.ms) slowest = { ms, file };
        const want = expected[`${folder}/${file}`];
        const ok = typeof want === 'string' ? got === want : want !== undefined && got.length === want.chars && createHash('sha256').update(got).digest('hex') === want.sha256;
        total += 1;
        if (ok) equal += 1;
      }
      row.push(`${folder}: ${equal} of ${total}`);
    }
    console.log(`${name}: ${row.join(', ')}; slowest ${slowest.ms.toFixed(0)} ms (${slowest.file})`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
