/**
 * The envelope sender as our own server recorded it: the delivering MTA writes Return-Path at final delivery,
 * at the top of the header block (RFC 5321 4.4). Any Return-Path further down came with the message from
 * whoever sent it and is ignored, here and in DKIM/SPF verification (mailauth would otherwise take the
 * bottom-most one as the envelope sender for SPF). `''` is the null sender `<>`, undefined when there is none.
 * (Gmail puts its own internal Received lines above the Return-Path, so "topmost Return-Path", not "above
 * every Received", is what holds for every server we read from.)
 */
export function trustedReturnPath(lines: ReadonlyArray<{ key: string; line: string }>): string | undefined {
  const top = lines.find(({ key }) => key.trim().toLowerCase() === 'return-path');
  if (!top) return undefined;
  const colon = top.line.indexOf(':');
  const value = colon < 0 ? '' : top.line.slice(colon + 1);
  const open = value.indexOf('<');
  const close = open < 0 ? -1 : value.indexOf('>', open + 1);
  return (close > open ? value.slice(open + 1, close) : value).trim().toLowerCase();
}
