/**
 * The MIME structure around each part mailparser emits, read from the tree it builds while parsing: which
 * multiparts a part sits in (a PGP/MIME payload is an `application/octet-stream` inside
 * `multipart/encrypted`), the charsets the mail declares (a raw 8-bit filename is read in them), and whether
 * the mail has a text/plain body at all (if not, ticketd converts the HTML itself).
 *
 * mailparser 3.14 does not expose the tree; it keeps it on the instance as `tree` (nodes with `contentType`,
 * `charset`, `isAttachment`, `headers`, `children` and the mailsplit node's `partNr`). This file is the one
 * place that reads it, defensively: if a future version changes it, the outline is empty, parts are named
 * from their own type alone, and parse.test.ts says so.
 */

export type PartContext = {
  /** The multiparts around the part, nearest first: `multipart/encrypted; protocol=application/pgp-encrypted`. */
  ancestors: Array<{ type: string; protocol: string }>;
  charset: string | undefined;
};

export type MimeOutline = {
  /** By mailparser's `partId` of the attachment ('' for a message whose root is the part). */
  parts: Map<string, PartContext>;
  /** Charsets of the body's text parts and of the root, in that order: how the sender's client writes. */
  bodyCharsets: string[];
  /** True when some inline text/plain part is the body (HTML-only mail has none). */
  hasPlainBody: boolean;
};

type TreeNode = {
  contentType?: unknown;
  charset?: unknown;
  isAttachment?: unknown;
  headers?: unknown;
  children?: unknown;
  node?: { partNr?: unknown };
};

const EMPTY: MimeOutline = { parts: new Map(), bodyCharsets: [], hasPlainBody: false };
/** Deeper trees are cut here; mailsplit itself refuses absurd nesting long before. */
const MAX_DEPTH = 64;

export function readMimeOutline(parser: unknown): MimeOutline {
  const tree = (parser as { tree?: TreeNode } | undefined)?.tree;
  if (!tree || typeof tree !== 'object') return { ...EMPTY, parts: new Map() };
  const outline: MimeOutline = { parts: new Map(), bodyCharsets: [], hasPlainBody: false };
  const rootCharset = stringOf(tree.charset);
  const visit = (node: TreeNode, ancestors: PartContext['ancestors'], depth: number) => {
    if (depth > MAX_DEPTH) return;
    const type = stringOf(node.contentType)?.toLowerCase() ?? '';
    const children = Array.isArray(node.children) ? (node.children as TreeNode[]) : [];
    if (type.startsWith('multipart/')) {
      const here = [{ type, protocol: protocolOf(node.headers) }, ...ancestors];
      for (const child of children) visit(child, here, depth + 1);
      return;
    }
    const charset = stringOf(node.charset);
    if (node.isAttachment === true) outline.parts.set(partIdOf(node), { ancestors, charset });
    else if (type === 'text/plain' || type === 'text/html') {
      if (type === 'text/plain') outline.hasPlainBody = true;
      if (charset) outline.bodyCharsets.push(charset);
    }
    // An inline message/rfc822 that mailparser opened: its parts follow as children.
    for (const child of children) visit(child, ancestors, depth + 1);
  };
  visit(tree, [], 0);
  if (rootCharset) outline.bodyCharsets.push(rootCharset);
  outline.bodyCharsets = [...new Set(outline.bodyCharsets.map((charset) => charset.toLowerCase()))];
  return outline;
}

/** mailparser's partId: the numeric steps of mailsplit's `partNr`, joined by dots ('' for the root). */
function partIdOf(node: TreeNode): string {
  const steps = Array.isArray(node.node?.partNr) ? (node.node.partNr as unknown[]) : [];
  return steps.filter((step) => typeof step === 'number').join('.');
}

function protocolOf(headers: unknown): string {
  if (!(headers instanceof Map)) return '';
  const contentType = headers.get('content-type') as { params?: Record<string, unknown> } | undefined;
  const protocol = contentType?.params?.protocol;
  return typeof protocol === 'string' ? protocol.toLowerCase() : '';
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
