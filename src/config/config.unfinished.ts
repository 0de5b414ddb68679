import { EXAMPLE_CHOICES, EXAMPLE_VALUES } from './config.example.js';
import { envNameOf } from './config.keys.js';
import type { Config } from './config.schema.js';

export type Unfinished = { path: string; message: string };

/** Written in templates and docs where a real value belongs (the README's OAuth2 examples use `<client id>`). */
const GENERIC_PLACEHOLDERS = new Set(['change-me', 'changeme', 'change_me', 'replace-me', 'your-password', 'your-secret', 'todo', 'xxx']);
const ANGLE_PLACEHOLDER = /^<[^<>\n]{1,200}>$/;

/**
 * What a config still needs before the daemon can work, though every value has the right type: a placeholder
 * from config/ticketd.example.yaml or the README, or a secret left empty that the chosen settings need.
 * `run` and `doctor` refuse these; `config check` reports them as problems, or as warnings with
 * `--allow-placeholders` (checking a template whose secrets come later). Messages name the key, never its value.
 */
export function findUnfinished(config: Config): Unfinished[] {
  return [...placeholders(config), ...missingSecrets(config)];
}

function placeholders(config: Config): Unfinished[] {
  const found: Unfinished[] = [];
  const visit = (value: unknown, path: string[]) => {
    if (typeof value === 'string') {
      if (isPlaceholder(path.join('.'), value)) found.push({ path: path.join('.'), message: `is a placeholder (from the example file or the README): set the real value (env ${envNameOf(path)})` });
      return;
    }
    if (Array.isArray(value)) {
      const dotted = path.join('.');
      const example = EXAMPLE_VALUES[dotted];
      value.forEach((item, index) => {
        if (typeof item === 'string' && (isPlaceholder('', item) || (Array.isArray(example) && example.includes(item)))) {
          found.push({ path: `${dotted}.${index}`, message: `is a placeholder (from the example file): set your own (env ${envNameOf(path)})` });
        }
      });
      return;
    }
    if (typeof value === 'object' && value !== null) for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
  };
  visit(config, []);
  return found;
}

function isPlaceholder(dotted: string, value: string): boolean {
  const text = value.trim().toLowerCase();
  if (text === '') return false;
  if (GENERIC_PLACEHOLDERS.has(text) || ANGLE_PLACEHOLDER.test(text)) return true;
  const example = EXAMPLE_VALUES[dotted];
  return !EXAMPLE_CHOICES.has(dotted) && typeof example === 'string' && example.toLowerCase() === text;
}

function missingSecrets(config: Config): Unfinished[] {
  const missing: Unfinished[] = [];
  const need = (path: string[], why: string) => missing.push({ path: path.join('.'), message: `is empty: ${why} (env ${envNameOf(path)})` });
  if (config.imap && config.imap.auth === 'password' && config.imap.password === '') need(['imap', 'password'], 'imap.auth is password, so the IMAP login needs it');
  if (config.smtp.auth === 'password' && config.smtp.user !== '' && config.smtp.password === '') need(['smtp', 'password'], 'smtp.user is set with smtp.auth password, so the SMTP login needs it (or empty smtp.user: no login)');
  if (config.database.url !== '' && config.storage.path === '' && config.security.linkKey === '') {
    need(['security', 'linkKey'], 'database.url is set without a shared storage.path, so instances keep no common key file: each must seal and open password and verification links with this same key');
  }
  if (config.webhook.url !== '' && config.webhook.secret === '') need(['webhook', 'secret'], 'webhook.url is set, and its receiver can only trust events signed with this secret');
  if (config.security.senderAuth === 'authres' && config.security.authservId === '') {
    need(['security', 'authservId'], 'security.senderAuth is authres, and without the authserv-id of our receiving server no Authentication-Results header is trusted (every customer mail would be quarantined)');
  }
  return missing;
}
