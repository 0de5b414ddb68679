import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TEMPLATE_CATALOG } from './templates.catalog.js';
import { renderTemplatesReadme } from './templates.docs.js';
import { BUILT_IN_TEMPLATES_DIR, loadMailTemplates } from './templates.loader.js';
import { checkTemplate } from './templates.models.js';

function operatorDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-templates-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const welcomeView = { supportName: 'Cloudsoft Support', supportAddress: 'help@cloudsoft.test', customerName: 'Frank <F>', organisation: '', link: '', linkHours: 72 };

describe('loading mail templates', () => {
  it('loads every built-in template, each checked against its variables', () => {
    const result = loadMailTemplates({ dir: '' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.templates.sources)).toHaveLength(Object.keys(TEMPLATE_CATALOG).length * 2);
    expect(Object.values(result.templates.sources).every((file) => file.startsWith(BUILT_IN_TEMPLATES_DIR))).toBe(true);
  });

  it("uses an operator's file where there is one and the built-in one elsewhere", () => {
    const dir = operatorDir({ 'welcome.html': '<p>Willkommen, {{customerName}}!</p>\n', 'README.md': 'notes of the operator\n' });
    const result = loadMailTemplates({ dir });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const rendered = result.templates.render('welcome', welcomeView);
    expect(rendered.html).toBe('<p>Willkommen, Frank &lt;F&gt;!</p>\n');
    expect(rendered.text).toContain('Hello Frank <F>,');
    expect(result.templates.sources['welcome.html']).toBe(path.join(dir, 'welcome.html'));
    expect(result.templates.sources['welcome.txt']).toBe(path.join(BUILT_IN_TEMPLATES_DIR, 'welcome.txt'));
  });

  it('reports every problem at once, each with its file and line: unknown variables, unknown files, syntax', () => {
    const dir = operatorDir({
      'confirmation.txt': 'Hello {{customerName}},\nyour ticket is {{ticketRef}}.\n',
      'welcom.txt': 'typo in the file name\n',
      'relay.html': '{{#text}}unclosed\n',
      'sla-warning.txt': '{{> header}}\n{{#links}}{{href}} {{label}}{{/links}}\n',
    });
    const result = loadMailTemplates({ dir });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problems = result.problems.join('\n');
    expect(problems).toContain(`${path.join(dir, 'confirmation.txt')}: line 2: unknown variable "ticketRef"`);
    expect(problems).toContain(`${path.join(dir, 'welcom.txt')}: not a template name`);
    expect(problems).toContain(`${path.join(dir, 'relay.html')}: Unclosed section "text"`);
    expect(problems).toContain(`${path.join(dir, 'sla-warning.txt')}: line 1: partials ({{> header}}) are not supported`);
    expect(problems).toContain(`${path.join(dir, 'sla-warning.txt')}: line 2: unknown variable "label"`);
    expect(result.problems).toHaveLength(5);
  });

  it('says so when the folder cannot be read', () => {
    const result = loadMailTemplates({ dir: '/nonexistent/ticketd-templates' });
    expect(result).toEqual({ ok: false, problems: [expect.stringContaining('cannot read the templates folder /nonexistent/ticketd-templates')] });
  });
});

describe('checking one template', () => {
  const spec = TEMPLATE_CATALOG['engineer-notification'];

  it('knows list items only inside their list, and {{.}} only inside a list of lines', () => {
    expect(checkTemplate({ source: '{{#notes}}{{.}}{{/notes}}', spec })).toEqual([]);
    expect(checkTemplate({ source: '{{.}}', spec })).toEqual(['line 1: unknown variable "." (known: ' + Object.keys(spec.variables).sort().join(', ') + ')']);
    const confirmation = TEMPLATE_CATALOG.confirmation;
    expect(checkTemplate({ source: '{{#levels}}{{level}}: {{meaning}}{{/levels}}', spec: confirmation })).toEqual([]);
    expect(checkTemplate({ source: '{{meaning}}', spec: confirmation })).toHaveLength(1);
  });
});

describe('config/templates/README.md', () => {
  it('is what the catalog renders (run `npm run config:example` after changing the catalog)', () => {
    expect(readFileSync(path.join(BUILT_IN_TEMPLATES_DIR, 'README.md'), 'utf8')).toBe(renderTemplatesReadme());
  });
});
