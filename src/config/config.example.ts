import { stringify } from 'yaml';
import { listConfigKeys } from './config.keys.js';
import { configSchema } from './config.schema.js';

/**
 * Values shown for keys that have no default (or whose default says little). Each is a placeholder to be
 * replaced (`run` and `doctor` refuse a config still holding one: config.unfinished.ts), except the real
 * choices listed in EXAMPLE_CHOICES.
 */
export const EXAMPLE_VALUES: Readonly<Record<string, unknown>> = {
  'imap.host': 'imap.example.com',
  'imap.user': 'help@example.com',
  'imap.password': 'change-me',
  'smtp.host': 'smtp.example.com',
  'smtp.user': 'help@example.com',
  'smtp.password': 'change-me',
  'support.address': 'help@example.com',
  'support.customerDomains': ['customer-one.com', 'customer-two.com'],
  'support.engineerDomains': ['example.com'],
  'support.signupHelpAddress': 'support@example.com',
  'http.publicUrl': 'https://support.example.com',
  'security.authservId': 'mx.example.com',
  'pager.kind': 'pagerduty',
  'pager.routingKey': 'your-32-character-integration-key',
};

/** Example values that are a sensible setting as they stand, not a placeholder. */
export const EXAMPLE_CHOICES: ReadonlySet<string> = new Set(['pager.kind']);

/**
 * `config/ticketd.example.yaml`, rendered from the schema: every key with its description, its environment
 * variable and an example or default value. A test fails when the committed file drifts from this.
 */
export function renderExampleConfig(): string {
  const lines = [
    '# ticketd configuration. Every key can be overridden by the environment variable named beside it',
    '# (arrays: comma-separated). Check a file with: ticketd config check --config FILE',
    '# Generated from src/config/config.schema.ts by `npm run config:example`; do not edit by hand.',
  ];
  let section = '';
  let subsection = '';
  for (const key of listConfigKeys(configSchema)) {
    // Keys are section.name, or section.group.name for per-severity settings (paging.policy.SEV1).
    const [group, ...rest] = key.path as [string, ...string[]];
    if (group !== section) {
      section = group;
      subsection = '';
      lines.push('', `${group}:`);
    }
    const inner = rest.length > 1 ? rest[0] ?? '' : '';
    if (inner && inner !== subsection) lines.push(`  ${inner}:`);
    subsection = inner;
    const indent = inner ? '    ' : '  ';
    const name = rest[rest.length - 1] ?? '';
    const dotted = key.path.join('.');
    const value = dotted in EXAMPLE_VALUES ? EXAMPLE_VALUES[dotted] : key.defaultValue;
    lines.push(`${indent}# ${key.description} (env ${key.env})`);
    const rendered = stringify({ [name]: value ?? '' }, { lineWidth: 0 }).trimEnd();
    lines.push(...rendered.split('\n').map((line) => `${indent}${line}`));
  }
  return `${lines.join('\n')}\n`;
}
