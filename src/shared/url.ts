/** `https://x.test/` -> `https://x.test`, without a regex (`/\/+$/` retries from every slash: quadratic on a run of them). */
export function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end -= 1;
  return url.slice(0, end);
}
