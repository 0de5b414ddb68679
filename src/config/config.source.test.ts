import { describe, expect, it } from 'vitest';
import { keyPathAtLine, readConfigSource } from './config.source.js';

const SECRET = 'hunter2-5ec7';

/** The problems of a broken file, as `path (line N): message` strings. */
function problemsOf(text: string): string[] {
  const source = readConfigSource(text);
  if (source.ok) throw new Error('expected a syntax problem');
  return source.problems.map((problem) => `${problem.path} (line ${problem.line ?? '-'}): ${problem.message}`);
}

describe('reading the YAML of a configuration file', () => {
  it.each([
    ['a value holding ": "', `imap:\n  host: x\n  password: ${SECRET}: [oops\nsmtp:\n  host: y\n`, 'imap.password (line 3)'],
    ['an unterminated quote', `imap:\n  host: x\n  password: "${SECRET}\nsmtp:\n  host: y\n`, 'imap.password (line 3)'],
    ['a bad escape in double quotes', `imap:\n  password: "${SECRET}\\q"\n`, 'imap.password (line 2)'],
    ['a value starting with !', `imap:\n  password: !${SECRET}\n`, 'imap.password (line 2)'],
    ['a value starting with @', `imap:\n  password: @${SECRET}\n`, 'imap.password (line 2)'],
    ['a value starting with *', `imap:\n  password: *${SECRET}\n`, 'imap.password (line 2)'],
    ['a key without its colon', `imap:\n  host: x\n  password ${SECRET}\n  user: u\n`, 'imap (line 3)'],
    ['a tab as indentation', `imap:\n\tpassword: ${SECRET}\n`, '(line 2)'],
  ])('names the key and the line of %s, never the value written there', (_case, text, where) => {
    const problems = problemsOf(text);
    expect(problems.join('\n')).toContain(where);
    expect(problems.join('\n')).not.toContain(SECRET);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('finds the line of every key path, array items too, for problems found after parsing', () => {
    const source = readConfigSource('# comment\nimap:\n  host: x\n  port: many\nsupport:\n  customerDomains:\n    - a.test\n    - b .test\n');
    if (!source.ok) throw new Error('expected valid YAML');
    expect(source.lineOf(['imap', 'port'])).toBe(4);
    expect(source.lineOf(['support', 'customerDomains', 1])).toBe(8);
    expect(source.lineOf(['smtp', 'host'])).toBeUndefined();
  });

  it('reads the key path of a line from the indentation above it, skipping comments and list items', () => {
    const lines = ['imap:', '  # the login', '  oauth2:', '    clientId: x', '    broken line', 'smtp:'];
    expect(keyPathAtLine(lines, 3)).toBe('imap.oauth2.clientId');
    expect(keyPathAtLine(lines, 4)).toBe('imap.oauth2');
    expect(keyPathAtLine(lines, 5)).toBe('smtp');
  });

  it('refuses a file that is not a mapping of sections', () => {
    expect(readConfigSource('- just\n- a list\n')).toMatchObject({ ok: false, problems: [{ path: '(file)' }] });
  });
});
