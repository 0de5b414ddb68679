/**
 * RFC 8601 Authentication-Results, read by a tokenizer that follows its grammar:
 *
 *   authres-header = authserv-id [ CFWS authres-version ] ( no-result / 1*resinfo )
 *   resinfo        = ";" method [ "/" version ] "=" result [ reason=value ] *( ptype "." property "=" pvalue )
 *
 * Quoted strings (a `;` inside one does not end a result), comments (nested, with escapes) and folding
 * whitespace are handled by the lexer, never by splitting on `;`. Anything that does not fit the grammar
 * (an unterminated quote or comment, a result without `method=result`, a property without a value) makes the
 * whole header `malformed`: a caller must treat that as "nothing proven" (fail closed).
 *
 * mailauth 4.13 ships a parser of this header (lib/parse-dkim-headers.js, outside its public exports), but it
 * keeps only the last result of a repeated method (two dmarc results become one), copies every character
 * after a backslash twice and does not nest comments, so it cannot answer "did every dmarc result pass".
 */
export type AuthResult = { method: string; result: string; reason: string | undefined; props: Record<string, string> };
export type AuthenticationResults =
  | { ok: true; authservId: string; results: AuthResult[] }
  | { ok: false; authservId: string | undefined; error: string };

type Token = { kind: 'word' | 'quoted'; text: string } | { kind: 'punct'; text: ';' | '=' };

/** Longer values are not Authentication-Results a receiving server writes; refusing them bounds the work. */
const MAX_HEADER_CHARS = 16 * 1024;

export function parseAuthenticationResults(value: string): AuthenticationResults {
  const lexed = lex(value.slice(0, MAX_HEADER_CHARS + 1));
  if (value.length > MAX_HEADER_CHARS) return { ok: false, authservId: undefined, error: `longer than ${MAX_HEADER_CHARS} characters` };
  if (!lexed.ok) return { ok: false, authservId: firstWord(lexed.tokens), error: lexed.error };
  const tokens = lexed.tokens;
  const first = tokens[0];
  if (!first || first.kind === 'punct') return { ok: false, authservId: undefined, error: 'no authserv-id' };
  const authservId = first.text.toLowerCase();
  let index = 1;
  // An optional authres-version (a number) may follow the authserv-id.
  if (tokens[index]?.kind === 'word' && /^\d+$/.test(tokens[index]?.text ?? '')) index += 1;
  const groups = splitOnSemicolons(tokens.slice(index));
  if (groups[0]?.length !== 0) return { ok: false, authservId, error: 'text between the authserv-id and the first ";"' };
  const resinfos = groups.slice(1);
  // `authserv-id; none`: the server checked nothing.
  if (resinfos.length === 1 && resinfos[0]?.length === 1 && resinfos[0][0]?.text.toLowerCase() === 'none') return { ok: true, authservId, results: [] };
  const results: AuthResult[] = [];
  for (const resinfo of resinfos) {
    const parsed = parseResinfo(resinfo);
    if (typeof parsed === 'string') return { ok: false, authservId, error: parsed };
    results.push(parsed);
  }
  return { ok: true, authservId, results };
}

function firstWord(tokens: Token[]): string | undefined {
  const first = tokens[0];
  return first && first.kind !== 'punct' ? first.text.toLowerCase() : undefined;
}

function splitOnSemicolons(tokens: Token[]): Token[][] {
  const groups: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'punct' && token.text === ';') groups.push([]);
    else groups[groups.length - 1]?.push(token);
  }
  return groups;
}

const KEYWORD = /^[a-z0-9][a-z0-9_-]*$/i;

/** `method[/version] = result [reason = value] ptype.property = value ...`, as `key = value` triples. */
function parseResinfo(tokens: Token[]): AuthResult | string {
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index < tokens.length; index += 3) {
    const [key, equals, value] = [tokens[index], tokens[index + 1], tokens[index + 2]];
    if (key?.kind !== 'word' || equals?.kind !== 'punct' || equals.text !== '=' || !value || value.kind === 'punct') {
      return `a result that is not "key=value" pairs: ${tokens.map((token) => token.text).join(' ').slice(0, 80)}`;
    }
    pairs.push([key.text.toLowerCase(), value.text]);
  }
  const [methodPair, ...rest] = pairs;
  if (!methodPair) return 'an empty result between two ";"';
  const method = methodPair[0].replace(/\/\d+$/, '');
  const result = methodPair[1].toLowerCase();
  if (!KEYWORD.test(method) || !KEYWORD.test(result)) return `not a method=result: ${methodPair.join('=').slice(0, 80)}`;
  let reason: string | undefined;
  const props: Record<string, string> = {};
  for (const [key, value] of rest) {
    if (key === 'reason' && reason === undefined && Object.keys(props).length === 0) {
      reason = value;
      continue;
    }
    const dot = key.indexOf('.');
    if (dot <= 0 || dot === key.length - 1) return `not a ptype.property: ${key.slice(0, 80)}`;
    // A property named twice in one result is ambiguous: which one did the server mean?
    if (key in props) return `property ${key} given twice in one ${method} result`;
    props[key] = value.toLowerCase();
  }
  return { method, result, reason, props };
}

/**
 * Tokens: words (anything up to whitespace, `;`, `=`, `(`, `"`), quoted strings (escapes resolved), `;` and
 * `=`. Comments are dropped, nested ones too. One pass, constant work per character.
 */
function lex(value: string): { ok: true; tokens: Token[] } | { ok: false; tokens: Token[]; error: string } {
  const tokens: Token[] = [];
  let index = 0;
  while (index < value.length) {
    const char = value.charAt(index);
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') {
      index += 1;
    } else if (char === ';' || char === '=') {
      tokens.push({ kind: 'punct', text: char });
      index += 1;
    } else if (char === '(') {
      let depth = 0;
      for (; index < value.length; index += 1) {
        const inner = value.charAt(index);
        if (inner === '\\') index += 1;
        else if (inner === '(') depth += 1;
        else if (inner === ')') {
          depth -= 1;
          if (depth === 0) break;
        }
      }
      if (depth !== 0) return { ok: false, tokens, error: 'an unterminated comment' };
      index += 1;
    } else if (char === '"') {
      let text = '';
      let closed = false;
      for (index += 1; index < value.length; index += 1) {
        const inner = value.charAt(index);
        if (inner === '\\') {
          index += 1;
          text += value.charAt(index);
        } else if (inner === '"') {
          closed = true;
          break;
        } else text += inner;
      }
      if (!closed) return { ok: false, tokens, error: 'an unterminated quoted string' };
      tokens.push({ kind: 'quoted', text });
      index += 1;
    } else if (char === ')') {
      return { ok: false, tokens, error: 'a ")" without "("' };
    } else {
      let end = index;
      while (end < value.length && !' \t\r\n;=(")'.includes(value.charAt(end))) end += 1;
      tokens.push({ kind: 'word', text: value.slice(index, end) });
      index = end;
    }
  }
  return { ok: true, tokens };
}
