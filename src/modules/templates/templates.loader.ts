import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createError } from '../../shared/errors.js';
import { TEMPLATE_CATALOG, TEMPLATE_FORMATS, TEMPLATE_NAMES, type TemplateFormat, type TemplateName, type TemplateView } from './templates.catalog.js';
import { checkTemplate, createTemplateWriter, renderTemplate } from './templates.models.js';

/** The built-in templates, shipped in config/templates/ (found from src/ in tests and from dist/ when built). */
export const BUILT_IN_TEMPLATES_DIR = fileURLToPath(new URL('../../../config/templates/', import.meta.url));

export type RenderedBody = { text: string; html: string };

export type MailTemplates = {
  render<N extends TemplateName>(name: N, view: TemplateView<N>): RenderedBody;
  /** Where each template came from: the built-in folder or the operator's. */
  sources: Record<`${TemplateName}.${TemplateFormat}`, string>;
};

export type TemplatesResult = { ok: true; templates: MailTemplates } | { ok: false; problems: string[] };

/**
 * Reads the built-in templates and, file by file, the operator's replacements from `dir`, and checks every
 * one against its variables. All problems come back at once, each naming its file.
 */
export function loadMailTemplates({ dir }: { dir: string }): TemplatesResult {
  const problems: string[] = [];
  const overrides = new Map<string, string>();
  if (dir) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      return { ok: false, problems: [`cannot read the templates folder ${dir}: ${(error as Error).message}`] };
    }
    const expected = new Set(TEMPLATE_NAMES.flatMap((name) => TEMPLATE_FORMATS.map((format) => `${name}.${format}`)));
    for (const entry of entries.sort()) {
      if (entry.startsWith('.') || /^readme(\.md|\.txt)?$/i.test(entry)) continue;
      if (expected.has(entry)) overrides.set(entry, path.join(dir, entry));
      else problems.push(`${path.join(dir, entry)}: not a template name (expected one of ${[...expected].join(', ')})`);
    }
  }

  const sources = {} as MailTemplates['sources'];
  const texts = new Map<string, string>();
  for (const name of TEMPLATE_NAMES) {
    for (const format of TEMPLATE_FORMATS) {
      const file = `${name}.${format}` as const;
      const location = overrides.get(file) ?? path.join(BUILT_IN_TEMPLATES_DIR, file);
      let source: string;
      try {
        source = readFileSync(location, 'utf8');
      } catch (error) {
        problems.push(`${location}: cannot read: ${(error as Error).message}`);
        continue;
      }
      for (const problem of checkTemplate({ source, spec: TEMPLATE_CATALOG[name] })) problems.push(`${location}: ${problem}`);
      sources[file] = location;
      texts.set(file, source);
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const writer = createTemplateWriter();
  return {
    ok: true,
    templates: {
      sources,
      render(name, view) {
        const values = view as Record<string, unknown>;
        return {
          text: renderTemplate({ source: texts.get(`${name}.txt`) as string, format: 'txt', view: values, writer }),
          html: renderTemplate({ source: texts.get(`${name}.html`) as string, format: 'html', view: values, writer }),
        };
      },
    },
  };
}

/** For the composition root and commands: the templates, or a non-retryable config error listing every problem. */
export function requireMailTemplates({ dir }: { dir: string }): MailTemplates {
  const result = loadMailTemplates({ dir });
  if (result.ok) return result.templates;
  throw createError({ code: 'config.templates_invalid', message: `templates.dir: ${result.problems.length} problem(s):\n  ${result.problems.join('\n  ')}`, details: { problems: result.problems } });
}
