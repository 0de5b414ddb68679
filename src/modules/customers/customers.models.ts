import { domainOf } from '../desk/address.models.js';

export type UserStatus = 'pending' | 'verified' | 'disabled';

const EMAIL = /^[^\s@<>(),;:"[\]]+@([a-z0-9-]+\.)+[a-z0-9-]+$/;

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

export function isEmail(value: string): boolean {
  return EMAIL.test(normalizeEmail(value)) && value.length <= 254;
}

/** The organisation of a seeded domain when none is named: `acme.test` -> `acme.test`. */
export function defaultOrganisationOf(domain: string): string {
  return domain;
}

export type CsvRow = { line: number; email: string; name: string; organisation: string | undefined; role: 'member' | 'manager' | undefined };
export type RowError = { line: number; email: string; error: string };

/**
 * Splits CSV text into rows of fields (RFC 4180: quoted fields, doubled quotes, CRLF or LF). Returns each
 * record with the line number it starts on, so errors point at the line a person sees in an editor.
 */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  let fieldStarted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let index = 0; index < input.length; index += 1) {
    const char = input[index];
    if (quoted) {
      if (char === '"') {
        if (input[index + 1] === '"') {
          field += '"';
          index += 1;
        } else quoted = false;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
      continue;
    }
    if (char === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && input[index + 1] === '\n') index += 1;
      fields.push(field);
      if (fields.some((value) => value.trim() !== '') || fieldStarted) records.push({ line: startLine, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line += 1;
      startLine = line;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (field !== '' || fields.length > 0 || fieldStarted) {
    fields.push(field);
    if (fields.some((value) => value.trim() !== '')) records.push({ line: startLine, fields });
  }
  return records.filter((record) => record.fields.some((value) => value.trim() !== ''));
}

/**
 * Pure validation of an import file (`email,name[,organisation[,role]]`, role `member` or `manager`): every row is checked (bad email, domain not approved, duplicate inside
 * the file) and reported with its line number; good rows come back normalized. A header row
 * (`email,name,...`) is recognised and skipped.
 */
export function validateImportRows({ records, approvedDomains }: { records: Array<{ line: number; fields: string[] }>; approvedDomains: Set<string> }): { rows: CsvRow[]; errors: RowError[] } {
  const rows: CsvRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const [index, record] of records.entries()) {
    const [rawEmail = '', rawName = '', rawOrganisation = '', rawRole = ''] = record.fields;
    if (index === 0 && rawEmail.trim().toLowerCase() === 'email') continue;
    const email = normalizeEmail(rawEmail);
    if (record.fields.length > 4) {
      errors.push({ line: record.line, email, error: `expected email,name[,organisation[,role]] but found ${record.fields.length} columns` });
      continue;
    }
    const role = rawRole.trim().toLowerCase();
    if (role !== '' && role !== 'member' && role !== 'manager') {
      errors.push({ line: record.line, email, error: `role must be member or manager, not "${rawRole.trim()}"` });
      continue;
    }
    if (!isEmail(email)) {
      errors.push({ line: record.line, email, error: `not an email address: "${rawEmail.trim()}"` });
      continue;
    }
    if (!approvedDomains.has(domainOf(email))) {
      errors.push({ line: record.line, email, error: `domain ${domainOf(email)} is not approved (ticketd domains add ${domainOf(email)})` });
      continue;
    }
    const earlier = seen.get(email);
    if (earlier !== undefined) {
      errors.push({ line: record.line, email, error: `duplicate of line ${earlier}` });
      continue;
    }
    seen.set(email, record.line);
    rows.push({ line: record.line, email, name: rawName.trim(), organisation: rawOrganisation.trim() || undefined, role: role === '' ? undefined : role });
  }
  return { rows, errors };
}
