/**
 * Text that came from mail (subjects, display names, bodies, addresses, a server's error text) printed for a
 * person on a terminal. Terminals obey control characters: ESC and CSI sequences clear the screen, move the
 * cursor or recolour; OSC 8 plants a hyperlink whose target is not what it shows; BEL, backspace and CR
 * overwrite what was printed; C1 controls (U+0080-U+009F) act as ESC sequences on many terminals; bidi
 * overrides and isolates reorder a line (Trojan Source, CVE-2021-42574). Every one of them is printed as a
 * visible `\uXXXX` escape instead.
 *
 * `\uXXXX` is JSON's own escape: JSON text passed through here is still exact JSON with the same values (it
 * can only hold these characters raw inside strings, where the escape means the same character).
 */
const UNSAFE_MULTILINE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
/** The same, and tab and line feed too: for one table cell or one log field. */
const UNSAFE_ONE_LINE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

const escape = (char: string) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * `text` safe for a terminal. `multiline` (the default) keeps line feeds and tabs, and reads CRLF as a line
 * feed (mail bodies); otherwise they are escaped too.
 */
export function escapeForTerminal(text: string, { multiline = true }: { multiline?: boolean } = {}): string {
  if (!multiline) return text.replace(UNSAFE_ONE_LINE, escape);
  return text.replace(/\r\n/g, '\n').replace(UNSAFE_MULTILINE, escape);
}
