import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderExampleConfig } from './config.example.js';
import { listConfigKeys } from './config.keys.js';
import { validateConfig } from './config.loader.js';
import { configSchema } from './config.schema.js';

describe('config/ticketd.example.yaml', () => {
  const committed = readFileSync(new URL('../../config/ticketd.example.yaml', import.meta.url), 'utf8');

  it('is exactly what the schema renders (run `npm run config:example` after changing the schema)', () => {
    expect(committed).toBe(renderExampleConfig());
  });

  it('documents every key with its environment variable and is itself a valid configuration', () => {
    for (const key of listConfigKeys(configSchema)) {
      expect(committed).toContain(`(env ${key.env})`);
      expect(key.description, key.path.join('.')).not.toBe('');
    }
    expect(validateConfig(parse(committed))).toMatchObject({ ok: true });
  });
});
