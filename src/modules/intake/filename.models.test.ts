import { describe, expect, it } from 'vitest';
import { decodeFilename, nameFromType, safeFilename, uniqueFilenames } from './filename.models.js';

describe('attachment filenames', () => {
  it('reads raw bytes again in the first charset that decodes them cleanly, and leaves decoded names alone', () => {
    const mojibake = Buffer.from([0xb2, 0xe2, 0xca, 0xd4]).toString('latin1');
    expect(decodeFilename({ name: `${mojibake}.pdf`, raw8bit: true, charsets: ['utf-8', 'no-such-charset', 'gb2312'] })).toBe('测试.pdf');
    expect(decodeFilename({ name: 'Résumé.pdf', raw8bit: false, charsets: ['gb2312'] })).toBe('Résumé.pdf');
    expect(decodeFilename({ name: `${mojibake}.pdf`, raw8bit: true, charsets: [] })).toBe(`${mojibake}.pdf`);
  });

  it('shortens a long name to 180 characters and keeps its extension', () => {
    const safe = safeFilename(`${'a'.repeat(500)}.pdf`);
    expect([...safe]).toHaveLength(180);
    expect(safe.endsWith('a.pdf')).toBe(true);
    expect(safeFilename(' .. ')).toBe('');
    expect(safeFilename('.bashrc')).toBe('bashrc');
  });

  it('names parts by type and numbers made-up names per stem, a sender name only when it repeats', () => {
    expect(nameFromType({ contentType: 'image/jpeg' })).toBe('image.jpg');
    expect(nameFromType({ contentType: 'application/octet-stream', insideEncrypted: true })).toBe('encrypted.asc');
    expect(nameFromType({ contentType: 'application/x-unheard-of' })).toBe('attachment.bin');
    expect(
      uniqueFilenames([
        { name: 'image.gif', fromType: true },
        { name: 'scan.pdf', fromType: false },
        { name: 'image.png', fromType: true },
        { name: 'SCAN.pdf', fromType: false },
        { name: 'image.gif', fromType: true },
      ]),
    ).toEqual(['image.gif', 'scan.pdf', 'image-2.png', 'SCAN-2.pdf', 'image-3.gif']);
  });
});
