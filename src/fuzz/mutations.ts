/**
 * Seeded mutations of real mail for `npm run fuzz` (issue 14): the kinds of damage and hostility mail
 * arrives with. Pure: the same seed gives the same mails, so a failure is reproducible from its seed.
 */
export type Random = { next(): number; int(max: number): number; pick<T>(items: readonly T[]): T };

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (max) => Math.floor(next() * max), pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number] };
}

type Mutation = (raw: Buffer, random: Random) => Buffer;

function split(raw: Buffer): { head: string; body: Buffer; eol: string } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  const eol = crlf >= 0 && (lf < 0 || crlf < lf) ? '\r\n' : '\n';
  if (end < 0) return { head: raw.toString('latin1'), body: Buffer.alloc(0), eol };
  return { head: raw.subarray(0, end).toString('latin1'), body: raw.subarray(end + eol.length * 2), eol };
}

function join({ head, body, eol }: { head: string; body: Buffer; eol: string }): Buffer {
  return Buffer.concat([Buffer.from(`${head}${eol}${eol}`, 'latin1'), body]);
}

/** Header fields of the top block, each with its folded lines. */
function fields(head: string, eol: string): string[] {
  const out: string[] = [];
  for (const line of head.split(eol)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) out[out.length - 1] += `${eol}${line}`;
    else out.push(line);
  }
  return out;
}

const HOSTILE_FROMS = [
  'Acme: alice@acme.test;, attacker@evil.test',
  'alice@acme.test, attacker@evil.test',
  '<alice@acme.test>attacker@evil.test',
  '"alice@acme.test" <attacker@evil.test>',
  '=?utf-8?q?alice=40acme.test?= <attacker@evil.test>',
  'alice@acme.test@evil.test',
  'undisclosed-recipients:;',
  '',
  `"${'A'.repeat(5000)}" <alice@acme.test>`,
  'alice@acme.test (attacker@evil.test)',
];

export const MUTATIONS: Record<string, Mutation> = {
  truncate: (raw, random) => raw.subarray(0, random.int(raw.length + 1)),
  'flip-bytes': (raw, random) => {
    const copy = Buffer.from(raw);
    for (let n = 1 + random.int(16); n > 0 && copy.length > 0; n -= 1) copy[random.int(copy.length)] = random.int(256);
    return copy;
  },
  'duplicate-header': (raw, random) => {
    const parts = split(raw);
    const list = fields(parts.head, parts.eol);
    const wanted = ['from:', 'subject:', 'message-id:', 'in-reply-to:', 'to:', 'date:'];
    const candidates = list.filter((field) => wanted.some((name) => field.toLowerCase().startsWith(name)));
    const chosen = candidates.length > 0 ? random.pick(candidates) : 'Subject: SEV1 injected';
    const copy = chosen.replace(/:.*/s, `: ${random.pick(['SEV1 injected', '<replay@evil.test>', 'attacker@evil.test'])}`);
    list.splice(random.int(list.length + 1), 0, copy);
    return join({ ...parts, head: list.join(parts.eol) });
  },
  'broken-header': (raw, random) => {
    const parts = split(raw);
    const list = fields(parts.head, parts.eol);
    const index = random.int(Math.max(1, list.length));
    const broken = random.pick([
      (field: string) => field.replace(':', ''),
      (field: string) => `${field}\u0000\u0001`,
      (field: string) => ` ${field}`,
      (field: string) => `${field}${parts.eol} ${'x'.repeat(20_000)}`,
      () => 'Content-Type: multipart/mixed; boundary=',
      () => 'Content-Transfer-Encoding: base64',
    ]);
    list[index] = broken(list[index] ?? '');
    return join({ ...parts, head: list.join(parts.eol) });
  },
  'deep-nesting': (raw, random) => {
    const depth = 50 + random.int(400);
    const eol = '\r\n';
    let body = 'SEV2 nested' + eol;
    for (let level = depth; level > 0; level -= 1) body = `--b${level}${eol}Content-Type: multipart/mixed; boundary="b${level + 1}"${eol}${eol}${body}--b${level}--${eol}`;
    const parts = split(raw);
    const list = fields(parts.head, parts.eol).filter((field) => !/^content-(type|transfer-encoding):/i.test(field));
    list.push('MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"');
    return join({ head: list.join(parts.eol), body: Buffer.from(body), eol: parts.eol });
  },
  'huge-line': (raw, random) => {
    const parts = split(raw);
    const filler = random.pick(['sev' + ' '.repeat(1_000_000) + 'x', 'a'.repeat(2_000_000), '> '.repeat(500_000), 'On Mon wrote:'.repeat(50_000), '-'.repeat(1_000_000)]);
    if (random.next() < 0.3) {
      const list = fields(parts.head, parts.eol);
      list.push(`Subject: ${filler.slice(0, 200_000)}`);
      return join({ ...parts, head: list.join(parts.eol) });
    }
    return join({ ...parts, body: Buffer.concat([Buffer.from(filler + parts.eol), parts.body]) });
  },
  'bad-charset': (raw, random) => {
    const parts = split(raw);
    const list = fields(parts.head, parts.eol).filter((field) => !/^content-(type|transfer-encoding):/i.test(field));
    const [type, encoding, body] = random.pick([
      ['text/plain; charset=x-no-such-charset', '8bit', parts.body],
      ['text/plain; charset=utf-8', 'base64', Buffer.from('@@not base64!!\r\n=====\r\n')],
      ['text/plain; charset=iso-2022-jp', 'quoted-printable', Buffer.from('=1B$B=ZZ=\r\n=\r\nabc=')],
      ['text/html; charset=utf-16', '8bit', Buffer.from([0xff, 0xfe, 0x00, 0xd8, 0x41])],
      ['text/plain; charset="utf-8', 'x-uuencode', parts.body],
    ] as const);
    list.push(`Content-Type: ${type}`, `Content-Transfer-Encoding: ${encoding}`);
    return join({ ...parts, head: list.join(parts.eol), body: Buffer.from(body) });
  },
  'hostile-from': (raw, random) => {
    const parts = split(raw);
    const list = fields(parts.head, parts.eol).filter((field) => !/^from:/i.test(field));
    list.unshift(`From: ${random.pick(HOSTILE_FROMS)}`);
    return join({ ...parts, head: list.join(parts.eol) });
  },
  'empty-inline-rfc822': (raw) => {
    const parts = split(raw);
    const list = fields(parts.head, parts.eol).filter((field) => !/^content-(type|transfer-encoding|disposition):/i.test(field));
    list.push('MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b');
    return join({ head: list.join(parts.eol), body: Buffer.from('--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n--b--\r\n'), eol: parts.eol });
  },
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

/** One to three mutations, chosen by `random`, applied in turn; returns the mail and what was done to it. */
export function mutate(raw: Buffer, random: Random): { raw: Buffer; applied: string[] } {
  const applied: string[] = [];
  let current = raw;
  for (let n = 1 + random.int(3); n > 0; n -= 1) {
    const name = random.pick(MUTATION_NAMES);
    current = (MUTATIONS[name] as Mutation)(current, random);
    applied.push(name);
  }
  return { raw: current, applied };
}
