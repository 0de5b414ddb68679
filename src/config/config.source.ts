import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';

export type ConfigProblem = {
  /** The key path (`imap.port`), `(yaml)`/`(file)` for the file as a whole, or the variable for an unknown TICKETD_* name. */
  path: string;
  message: string;
  /** 1-based line in the file of the key (or of the syntax error), when the file holds it. */
  line?: number;
  /** The environment variable the value came from, when it came from the environment. */
  env?: string;
};

export type ConfigSource =
  | { ok: true; raw: Record<string, unknown>; lineOf: (path: ReadonlyArray<string | number>) => number | undefined }
  | { ok: false; problems: ConfigProblem[] };

/**
 * What each YAML syntax error means, in our words. The yaml library's own messages can quote the offending text
 * (`Invalid escape sequence \q`, `Unresolved tag: !secret`) and its pretty errors print the whole line: either can
 * be a password. A problem names the key and the line, never what is written there.
 */
const SYNTAX_ERRORS: Record<string, string> = {
  BAD_INDENT: 'wrong indentation',
  TAB_AS_INDENT: 'a tab used as indentation (indent with spaces)',
  MISSING_CHAR: 'a closing quote or bracket is missing',
  BLOCK_AS_IMPLICIT_KEY: 'a one-line value holds ": " (quote the value)',
  MULTILINE_IMPLICIT_KEY: 'a key without its ":", or a key running over two lines (check the colon, the indentation and the quotes)',
  DUPLICATE_KEY: 'the same key twice',
  BAD_DQ_ESCAPE: 'an invalid backslash escape in a double-quoted value (use single quotes)',
  BAD_SCALAR_START: 'a value starting with a character YAML reserves, such as @ or ` (quote the value)',
  TAG_RESOLVE_FAILED: 'a value starting with ! (quote the value)',
  BAD_ALIAS: 'a value starting with * (quote the value)',
  UNEXPECTED_TOKEN: 'text YAML does not expect here (check the indentation and the quotes)',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MULTIPLE_DOCS: 'more than one YAML document (a --- line): keep one',
};

/** More syntax problems than this are left out: the first ones are what the operator fixes first. */
const MAX_REPORTED = 20;

/** Reads the YAML text: its plain values and where each key is, or every syntax problem by key and line. */
export function readConfigSource(text: string): ConfigSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  // Warnings too: an unknown tag (`password: !abc`) is only a warning to the library, which then reads "".
  const errors = [...document.errors, ...document.warnings].slice(0, MAX_REPORTED);
  if (errors.length > 0) {
    const lines = text.split(/\r\n|\r|\n/);
    return {
      ok: false,
      problems: errors.map((error) => {
        let line = lineAt(error.pos[0]);
        // An unclosed quote is noticed where the file ends; it was opened on the last line starting a quoted value.
        if (error.code === 'MISSING_CHAR') line = unclosedQuoteLine(lines, line - 1) ?? line;
        return { path: keyPathAtLine(lines, line - 1) || '(yaml)', line, message: `YAML syntax: ${SYNTAX_ERRORS[error.code] ?? `not valid YAML here (${error.code})`}` };
      }),
    };
  }
  const unresolved = unresolvedAliases(document, lineAt);
  if (unresolved.length > 0) return { ok: false, problems: unresolved };
  let raw: unknown;
  try {
    raw = document.toJS() ?? {};
  } catch {
    // Never the library's message: it may quote the text.
    return { ok: false, problems: [{ path: '(yaml)', message: 'YAML: the document cannot be read as plain values' }] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: '(file)', message: 'must be a YAML mapping of sections (database, imap, smtp, ...)' }] };
  }
  return { ok: true, raw: raw as Record<string, unknown>, lineOf: (path) => lineOfPath(document, path, lineAt) };
}

/** `*name` without an `&name` before it: toJS would throw with the alias's text in the message. */
function unresolvedAliases(document: Document, lineAt: (offset: number) => number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(document, {
    Alias(_key, node, path) {
      if (node.resolve(document) !== undefined) return;
      const keys = path.flatMap((ancestor) => ('key' in ancestor && isScalar(ancestor.key) ? [String(ancestor.key.value)] : []));
      problems.push({ path: keys.join('.') || '(yaml)', ...(node.range ? { line: lineAt(node.range[0]) } : {}), message: `YAML: ${SYNTAX_ERRORS.BAD_ALIAS}` });
    },
  });
  return problems;
}

/** The line of a key path's key (or of an array item), when the file has it. */
function lineOfPath(document: Document, path: ReadonlyArray<string | number>, lineAt: (offset: number) => number): number | undefined {
  let node: Node | null | undefined = document.contents as Node | null;
  let offset: number | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) return undefined;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) return undefined;
      offset = item.range?.[0];
      node = item;
    } else {
      return undefined;
    }
    if (isAlias(node)) node = node.resolve(document) as Node | undefined;
  }
  return offset === undefined ? undefined : lineAt(offset);
}

const KEY_LINE = /^( *)(?:- +)?([A-Za-z0-9_-]{1,100}) *:(?: |$)/;
const QUOTED_VALUE = /^ *(?:- +)?(?:[A-Za-z0-9_-]{1,100} *: +)?(["'])/;

/** The 1-based line, at or above `index`, of the last value that opens a quote it does not close on its line. */
function unclosedQuoteLine(lines: string[], index: number): number | undefined {
  for (let at = Math.min(index, lines.length - 1); at >= 0; at -= 1) {
    const line = lines[at] ?? '';
    const quote = QUOTED_VALUE.exec(line);
    if (!quote?.[1]) continue;
    const rest = line.slice((quote.index ?? 0) + quote[0].length);
    if (!rest.includes(quote[1])) return at + 1;
  }
  return undefined;
}
const indentOf = (line: string) => line.length - line.trimStart().length;

/**
 * The key path a line belongs to, from the indentation of the lines above it: the line's own key when it has
 * one (`imap.password`), else the section it sits in (`imap`). Only key names are read, never values.
 */
export function keyPathAtLine(lines: string[], index: number): string {
  const here = lines[index] ?? '';
  const own = KEY_LINE.exec(here);
  const path: string[] = own?.[2] ? [own[2]] : [];
  let indent = here.trim() === '' ? Number.POSITIVE_INFINITY : indentOf(here);
  for (let at = index - 1; at >= 0 && indent > 0; at -= 1) {
    const line = lines[at] ?? '';
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const key = KEY_LINE.exec(line);
    const depth = indentOf(line);
    if (key?.[2] && depth < indent) {
      path.unshift(key[2]);
      indent = depth;
    }
  }
  return path.join('.');
}
