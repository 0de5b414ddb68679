import { TEMPLATE_CATALOG, TEMPLATE_NAMES } from './templates.catalog.js';

/** config/templates/README.md, generated from the catalog (`npm run config:example`; a test checks it). */
export function renderTemplatesReadme(): string {
  const lines = [
    '# Mail templates',
    '',
    '<!-- Generated from src/modules/templates/templates.catalog.ts by `npm run config:example`; edit there. -->',
    '',
    'Every mail ticketd sends has a plain-text part (`NAME.txt`) and an HTML part (`NAME.html`), rendered from the',
    'templates in this folder. To change one, copy it into a folder of your own, edit it, and point',
    '`templates.dir` (env `TICKETD_TEMPLATES_DIR`) at that folder: each file there replaces the built-in file of',
    'the same name; the others stay built-in. `ticketd config check --config FILE` checks them, and the daemon',
    'refuses to start with a broken one, naming the file, the line and the problem.',
    '',
    'Templates are [Mustache](https://mustache.github.io/mustache.5.html):',
    '',
    '- `{{name}}` inserts a value: as it is in `.txt`, HTML-escaped in `.html` (`{{{name}}}` inserts it unescaped:',
    '  never do that with anything a customer wrote).',
    '- `{{#name}}...{{/name}}` shows the block when the value is true or non-empty, or repeats it for each item of',
    '  a list; `{{^name}}...{{/name}}` shows it when the value is false or empty. A line holding only such a tag',
    '  leaves no blank line behind.',
    '- Only the variables listed below exist: any other name is an error, not an empty string. Partials are not',
    '  supported.',
    '',
    'Subjects, threading headers (Message-ID, In-Reply-To, References, Thread-Index) and the RFC 3834 headers are',
    'not templated: they carry the ticket reference and keep replies on their ticket and robots from answering.',
    '',
  ];
  for (const name of TEMPLATE_NAMES) {
    const spec = TEMPLATE_CATALOG[name];
    lines.push(`## ${name}`, '', spec.description, '', `Files: \`${name}.txt\`, \`${name}.html\``, '', '| Variable | Value |', '|---|---|');
    for (const [variable, about] of Object.entries(spec.variables)) {
      const described = about as { description: string; item?: Record<string, string>; strings?: true };
      let text = described.description;
      if (described.item) text += `. A list; inside \`{{#${variable}}}\`: ${Object.entries(described.item).map(([field, what]) => `\`{{${field}}}\` ${what}`).join(', ')}`;
      if (described.strings) text += `. A list of lines; inside \`{{#${variable}}}\`, \`{{.}}\` is the line`;
      lines.push(`| \`{{${variable}}}\` | ${text.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
