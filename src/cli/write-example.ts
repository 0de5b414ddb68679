import { writeFileSync } from 'node:fs';
import { renderTemplatesReadme } from '../modules/templates/templates.docs.js';
import { renderExampleConfig } from '../config/config.example.js';

// `npm run config:example`: regenerates config/ticketd.example.yaml from the schema and
// config/templates/README.md from the template catalog.
writeFileSync(new URL('../../config/ticketd.example.yaml', import.meta.url), renderExampleConfig());
writeFileSync(new URL('../../config/templates/README.md', import.meta.url), renderTemplatesReadme());
