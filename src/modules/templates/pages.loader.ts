import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createError } from '../../shared/errors.js';
import { PAGE_CATALOG, PAGE_NAMES, type PageName } from './pages.catalog.js';
import { checkTemplate, createTemplateWriter, renderTemplate } from './templates.models.js';

/** The built-in pages, shipped in config/pages/ (found from src/ in tests and from dist/ when built). */
export const BUILT_IN_PAGES_DIR = fileURLToPath(new URL('../../../config/pages/', import.meta.url));

export type PageTemplates = {
  /** The page inside the layout. */
  render(name: PageName, view: Record<string, unknown>, layout: Record<string, unknown>): string;
  sources: Record<PageName, string>;
};

/**
 * Reads the built-in pages and, file by file, the operator's replacements (NAME.mustache in `dir`), checking
 * each against its variables; every problem comes back at once, naming its file and line.
 */
export function loadPageTemplates({ dir }: { dir: string }): { ok: true; pages: PageTemplates } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const overrides = new Map<string, string>();
  if (dir) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      return { ok: false, problems: [`cannot read the pages folder ${dir}: ${(error as Error).message}`] };
    }
    const expected = new Set(PAGE_NAMES.map((name) => `${name}.mustache`));
    for (const entry of entries.sort()) {
      if (entry.startsWith('.') || /^readme(\.md|\.txt)?$/i.test(entry) || entry === 'assets') continue;
      if (expected.has(entry)) overrides.set(entry, path.join(dir, entry));
      else problems.push(`${path.join(dir, entry)}: not a page name (expected one of ${[...expected].join(', ')})`);
    }
  }
  const sources = {} as Record<PageName, string>;
  const texts = new Map<PageName, string>();
  for (const name of PAGE_NAMES) {
    const location = overrides.get(`${name}.mustache`) ?? path.join(BUILT_IN_PAGES_DIR, `${name}.mustache`);
    let source: string;
    try {
      source = readFileSync(location, 'utf8');
    } catch (error) {
      problems.push(`${location}: cannot read: ${(error as Error).message}`);
      continue;
    }
    for (const problem of checkTemplate({ source, spec: PAGE_CATALOG[name] })) problems.push(`${location}: ${problem}`);
    sources[name] = location;
    texts.set(name, source);
  }
  if (problems.length > 0) return { ok: false, problems };
  const writer = createTemplateWriter();
  const html = (name: PageName, view: Record<string, unknown>) => renderTemplate({ source: texts.get(name) as string, format: 'html', view, writer });
  return { ok: true, pages: { sources, render: (name, view, layout) => html('layout', { ...layout, body: html(name, view) }) } };
}

export function requirePageTemplates({ dir }: { dir: string }): PageTemplates {
  const result = loadPageTemplates({ dir });
  if (result.ok) return result.pages;
  throw createError({ code: 'config.pages_invalid', message: `templates.pagesDir: ${result.problems.length} problem(s):\n  ${result.problems.join('\n  ')}`, details: { problems: result.problems } });
}
