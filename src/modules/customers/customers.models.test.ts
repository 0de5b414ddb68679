import { describe, expect, it } from 'vitest';
import { parseCsv, validateImportRows } from './customers.models.js';

const approved = new Set(['acme.test', 'globex.test']);

describe('CSV import rows', () => {
  it('reads quoted fields, doubled quotes, CRLF and a byte-order mark, numbering records by the line they start on', () => {
    const records = parseCsv('\uFEFFemail,name\r\n"bob@acme.test","Bob ""The Builder"" Smith"\r\n\r\n"carol@acme.test","Carol\nwith a newline"\ndave@acme.test,Dave\n');
    expect(records).toEqual([
      { line: 1, fields: ['email', 'name'] },
      { line: 2, fields: ['bob@acme.test', 'Bob "The Builder" Smith'] },
      { line: 4, fields: ['carol@acme.test', 'Carol\nwith a newline'] },
      { line: 6, fields: ['dave@acme.test', 'Dave'] },
    ]);
  });

  it('reports a bad email, an unapproved domain, a duplicate and a bad role with their line numbers and keeps the good rows', () => {
    const csv = ['email,name,organisation,role', 'Alice@ACME.test, Alice ,ACME Corp', 'not-an-address,Nobody', 'eve@evil.test,Eve', 'alice@acme.test,Alice again', 'bob@globex.test,Bob', 'x@acme.test,a,b,c', 'mia@acme.test,Mia,ACME Corp,Manager', 'y@acme.test,a,b,member,e'].join('\n');
    const { rows, errors } = validateImportRows({ records: parseCsv(csv), approvedDomains: approved });
    expect(rows).toEqual([
      { line: 2, email: 'alice@acme.test', name: 'Alice', organisation: 'ACME Corp', role: undefined },
      { line: 6, email: 'bob@globex.test', name: 'Bob', organisation: undefined, role: undefined },
      { line: 8, email: 'mia@acme.test', name: 'Mia', organisation: 'ACME Corp', role: 'manager' },
    ]);
    expect(errors.map((error) => [error.line, error.error.split(':')[0]?.split(' (')[0]])).toEqual([
      [3, 'not an email address'],
      [4, 'domain evil.test is not approved'],
      [5, 'duplicate of line 2'],
      [7, 'role must be member or manager, not "c"'],
      [9, 'expected email,name[,organisation[,role]] but found 5 columns'],
    ]);
  });

  it('treats a first row that does not start with "email" as data', () => {
    const { rows, errors } = validateImportRows({ records: parseCsv('bob@acme.test,Bob\n'), approvedDomains: approved });
    expect(rows).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
