import { describe, expect, it } from 'vitest';
import { createProgress, renderProgressBar } from './progress.js';

function terminal(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (chunk: string) => writes.push(chunk) > 0 }, writes };
}

describe('progress bar', () => {
  it('draws the share done, clamped, with the counts', () => {
    expect(renderProgressBar({ done: 0, total: 4, label: 'importing', width: 8 })).toBe('importing [        ] 0/4');
    expect(renderProgressBar({ done: 1, total: 4, label: 'importing', width: 8 })).toBe('importing [##      ] 1/4');
    expect(renderProgressBar({ done: 4, total: 4, label: 'importing', width: 8 })).toBe('importing [########] 4/4');
    expect(renderProgressBar({ done: 0, total: 0, label: 'x', width: 4 })).toBe('x [####] 0/0');
  });

  it('on a terminal, clears the bar before each printed line, redraws it below, and removes it at the end', () => {
    const { stream, writes } = terminal(true);
    const progress = createProgress({ stream, total: 2, label: 'reprocessing' });
    progress.update(0);
    progress.line((text) => writes.push(`OUT ${text}`), '17: ticket CS-4 (new ticket)');
    progress.update(2);
    progress.done();
    expect(writes).toEqual([
      '\r\x1b[2Kreprocessing [                              ] 0/2',
      '\r\x1b[2K',
      'OUT 17: ticket CS-4 (new ticket)',
      '\r\x1b[2Kreprocessing [                              ] 0/2',
      '\r\x1b[2Kreprocessing [##############################] 2/2',
      '\r\x1b[2K',
    ]);
  });

  it('writes nothing but the lines when the output is not a terminal', () => {
    const { stream, writes } = terminal(false);
    const printed: string[] = [];
    const progress = createProgress({ stream, total: 3, label: 'importing' });
    for (let done = 1; done <= 3; done += 1) {
      progress.line((text) => printed.push(text), `line ${done}`);
      progress.update(done);
    }
    progress.done();
    expect(writes).toEqual([]);
    expect(printed).toEqual(['line 1', 'line 2', 'line 3']);
  });
});
