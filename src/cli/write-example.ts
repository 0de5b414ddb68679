import { writeFileSync } from 'node:fs';
import { renderPagesReadme } from '../modules/templates/pages.docs.js';
import { renderTemplatesReadme } from '../modules/templates/templates.docs.js';
import { renderExampleConfig } from '../config/config.example.js';

// `npm run config:example`: regenerates config/ticketd.example.yaml from the schema,
// config/templates/README.md from the mail template catalog and config/pages/README.md from the page catalog.
writeFileSync(new URL('../../config/ticketd.example.yaml', import.meta.url), renderExampleConfig());
writeFileSync(new URL('../../config/templates/README.md', import.meta.url), renderTemplatesReadme());
writeFileSync(new URL('../../config/pages/README.md', import.meta.url), renderPagesReadme());
