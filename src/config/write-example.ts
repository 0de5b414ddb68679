import { writeFileSync } from 'node:fs';
import { renderExampleConfig } from './config.example.js';

// `npm run config:example`: regenerates config/ticketd.example.yaml from the schema.
writeFileSync(new URL('../../config/ticketd.example.yaml', import.meta.url), renderExampleConfig());
