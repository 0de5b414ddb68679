import type { VariableSpec } from './templates.catalog.js';
import { PAGE_CATALOG, PAGE_NAMES } from './pages.catalog.js';

function describeVariable(name: string, spec: VariableSpec): string {
  let text = spec.description;
  if (spec.item) text += `. Inside \`{{#${name}}}\`: ${Object.entries(spec.item).map(([field, what]) => (typeof what === 'string' ? `\`{{${field}}}\` ${what}` : `\`{{${field}}}\` (${describeVariable(field, what)})`)).join(', ')}`;
  if (spec.strings) text += `. A list of lines; inside \`{{#${name}}}\`, \`{{.}}\` is the line`;
  return text;
}

/** config/pages/README.md, generated from the page catalog (`npm run config:example`; a test checks it). */
export function renderPagesReadme(): string {
  const lines = [
    '# Portal pages',
    '',
    '<!-- Generated from src/modules/templates/pages.catalog.ts by `npm run config:example`; edit there. -->',
    '',
    'The support portal is rendered on the server from the Mustache templates in this folder (`NAME.mustache`);',
    'its one stylesheet is `assets/portal.css` (always served from this folder, at `/assets/portal.css`; the CSP allows',
    'styles from the portal itself only). There is no script on any page. To change a page, copy it into a',
    'folder of your own, edit it, and point `templates.pagesDir` (env `TICKETD_TEMPLATES_PAGES_DIR`) at that',
    'folder: each file there replaces the built-in page of the same name. `ticketd config check` checks them, and',
    'the daemon refuses to start with a broken one, naming the file, the line and the problem.',
    '',
    'Every `{{value}}` is HTML-escaped; only the layout\'s `{{{body}}}` (the page, rendered already) is not. Keep',
    'the labels, names and buttons of the forms: the form fields (`name="..."`) are what the portal reads, and',
    'people and tests find the fields by their labels (Name, Email, Password, Subject, Severity, Description,',
    'Message) and the buttons by their names (Sign up, Sign in, Create ticket, Send). Every POST form must carry',
    '`{{csrfToken}}` in a hidden `_csrf` field, or in its action (the multipart forms: their action has it already).',
    '',
  ];
  for (const name of PAGE_NAMES) {
    const spec = PAGE_CATALOG[name];
    lines.push(`## ${name}`, '', spec.description, '', `File: \`${name}.mustache\``, '', '| Variable | Value |', '|---|---|');
    for (const [variable, about] of Object.entries(spec.variables)) lines.push(`| \`{{${variable}}}\` | ${describeVariable(variable, about as VariableSpec).replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
