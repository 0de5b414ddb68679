import { describe, expect, it } from 'vitest';
import { escapeForTerminal } from './terminal-text.js';

/** Any character a terminal would act on rather than show (line feed and tab allowed). */
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

describe('text from mail printed on a terminal', () => {
  it('shows ESC, CSI, OSC 8 hyperlinks, BEL, backspace, CR, C1 controls and bidi overrides as visible escapes', () => {
    const hostile = 'a\u001b[2Jb \u001b]8;;https://evil.test\u0007click\u001b]8;;\u0007 c\bd\re \u009b31m f\u202egnp.exe\u2066g\u0000';
    const shown = escapeForTerminal(hostile);
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(shown).toBe('a\\u001B[2Jb \\u001B]8;;https://evil.test\\u0007click\\u001B]8;;\\u0007 c\\u0008d\\u000De \\u009B31m f\\u202Egnp.exe\\u2066g\\u0000');
  });

  it('keeps line feeds and tabs of a body, reading CRLF as a line feed, and escapes them in one-line mode', () => {
    expect(escapeForTerminal('one\r\ntwo\tthree\n')).toBe('one\ntwo\tthree\n');
    expect(escapeForTerminal('one\ntwo\tthree', { multiline: false })).toBe('one\\u000Atwo\\u0009three');
  });

  it('leaves ordinary text, accents and emoji alone', () => {
    const text = 'Grüße aus Köln, 東京 — ✓ 🚀 [SEV1] <alice@acme.test>';
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('keeps JSON exact: escaped JSON text parses to the same values', () => {
    const value = { subject: 'x\u009b2J\u202e y', body: 'a\nb' };
    const json = JSON.stringify(value, null, 2);
    const shown = escapeForTerminal(json);
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(shown)).toEqual(value);
  });
});
