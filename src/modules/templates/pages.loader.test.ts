import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderPagesReadme } from './pages.docs.js';
import { BUILT_IN_PAGES_DIR, loadPageTemplates } from './pages.loader.js';

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-pages-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const layout = { title: 'T', supportName: 'Cloudsoft Support', csrfToken: 'tok', notice: '', signedIn: false };

describe('portal page templates', () => {
  it('loads every built-in page against its variables and escapes what it inserts', () => {
    const result = loadPageTemplates({ dir: '' });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const html = result.pages.render('message', { title: '<script>alert(1)</script>', paragraphs: ['a & b'], ok: false, link: false, helpAddress: 'help@cloudsoft.test' }, layout);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('a &amp; b');
    expect(html).toContain('<link rel="stylesheet" href="/assets/portal.css">');
  });

  it("takes an operator's page from templates.pagesDir and reports unknown variables and file names with their line", () => {
    const dir = folder({ 'login.mustache': '<h1>Anmelden</h1>\n{{#failed}}x{{/failed}}\n{{pasword}}\n', 'logon.mustache': 'x', 'README.md': 'notes' });
    const result = loadPageTemplates({ dir });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([expect.stringContaining('logon.mustache: not a page name'), expect.stringMatching(/login\.mustache: line 3: unknown variable "pasword"/)]);
    const good = loadPageTemplates({ dir: folder({ 'login.mustache': '<h1>Anmelden</h1>{{#failed}}<p>Falsch</p>{{/failed}}' }) });
    if (!good.ok) throw new Error(good.problems.join('\n'));
    expect(good.pages.render('login', { failed: true }, layout)).toContain('<h1>Anmelden</h1><p>Falsch</p>');
  });

  it('knows the names inside nested lists (a message and its attachments) and only there', () => {
    const ok = loadPageTemplates({ dir: folder({ 'ticket.mustache': '{{#messages}}{{author}}{{#attachments}}{{name}} {{href}}{{/attachments}}{{/messages}}' }) });
    expect(ok.ok).toBe(true);
    const bad = loadPageTemplates({ dir: folder({ 'ticket.mustache': '{{#messages}}{{author}}{{/messages}}{{href}}' }) });
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringContaining('unknown variable "href"')]);
  });

  it('documents every page in config/pages/README.md (run `npm run config:example` after changing the catalog)', () => {
    expect(readFileSync(path.join(BUILT_IN_PAGES_DIR, 'README.md'), 'utf8')).toBe(renderPagesReadme());
  });
});
