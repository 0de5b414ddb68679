/**
 * A browser's part of a form, for tests that need raw HTTP (no Chromium): a cookie jar, the hidden `_csrf`
 * field of the page a form came from, and form posts without following redirects.
 */
export function createFormClient(base: string, { headers = {} }: { headers?: Record<string, string> } = {}) {
  const jar = new Map<string, string>();
  function remember(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');

  async function get(path: string): Promise<{ response: Response; html: string; csrf: string }> {
    const response = await fetch(`${base}${path}`, { redirect: 'manual', headers: { ...headers, cookie: cookie() } });
    remember(response);
    const html = await response.text();
    return { response, html, csrf: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  }

  async function post(path: string, fields: Record<string, string>, { extraHeaders = {} }: { extraHeaders?: Record<string, string> } = {}): Promise<{ response: Response; html: string }> {
    const response = await fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { ...headers, ...extraHeaders, cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    remember(response);
    return { response, html: await response.text() };
  }

  return { get, post, jar };
}
