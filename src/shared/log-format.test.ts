import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log-format.js';

describe('formatLogLine', () => {
  it('puts time, level, component and message first and the context after it as key=value', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 10, 25, 21, 4, 5, 123), pid: 1, hostname: 'h', name: 'ticketd', component: 'outbox', outboxId: 2, kind: 'page', err: 'pager.unreachable: connect ECONNREFUSED', msg: 'delivered' });
    expect(formatLogLine(line)).toBe('21:04:05.123 INFO  [outbox] delivered outboxId=2 kind=page err="pager.unreachable: connect ECONNREFUSED"\n');
  });

  it('colours the level only when asked to', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'boom' });
    expect(formatLogLine(line, { color: true })).toBe('00:00:00.000 \u001b[31mERROR\u001b[0m boom\n');
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(formatLogLine('plain text')).toBe('plain text\n');
  });

  it("shows a hostile Message-ID's or subject's escape sequences instead of letting the terminal obey them", () => {
    const line = JSON.stringify({ level: 30, time: 0, msg: 'message ingested \u001b[2J', messageId: '<x\u001b]8;;https://evil.test\u0007y@evil.test>', subject: 'SEV1 \u009b31m red \u202eexe' });
    const shown = formatLogLine(line, { color: true });
    expect(shown).toBe('00:00:00.000 \u001b[32mINFO \u001b[0m message ingested \\u001B[2J messageId=<x\\u001B]8;;https://evil.test\\u0007y@evil.test> subject="SEV1 \\u009B31m red \\u202Eexe"\n');
    expect(formatLogLine('raw \u001b[2J line')).toBe('raw \\u001B[2J line\n');
  });
});
