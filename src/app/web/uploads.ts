import type { FastifyRequest } from 'fastify';
import type { WebFile } from '../../modules/intake/web-ticket.usecases.js';
import type { BlobStore } from '../../modules/store/blob-store.js';

export class UploadTooLarge extends Error {
  statusCode = 413;
}

/** A file name as shown and sent on: no path, no control characters, at most 200 characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim().slice(0, 200);
  return clean || 'attachment';
}

/**
 * Reads a multipart form: text fields, and files streamed into the attachment store (never whole in memory).
 * A file over http.maxUploadBytes is cut by the parser and refused here, as is the sum of them; the CSRF token
 * was checked from the action URL before the body was read at all.
 */
export async function readMultipart(request: FastifyRequest, { store, maxBytes }: { store: BlobStore; maxBytes: number }): Promise<{ fields: Record<string, string>; files: WebFile[] }> {
  const fields: Record<string, string> = {};
  const files: WebFile[] = [];
  let total = 0;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const ref = await store.put(part.file);
      // A browser sends an empty part for a file input left empty.
      if (!part.filename && ref.size === 0) continue;
      total += ref.size;
      if (part.file.truncated || total > maxBytes) throw new UploadTooLarge('upload too large');
      files.push({ filename: cleanFilename(part.filename), contentType: /^[\w.+-]+\/[\w.+-]+$/.test(part.mimetype) ? part.mimetype : 'application/octet-stream', size: ref.size, sha256: ref.sha256 });
    } else if (typeof part.value === 'string') {
      fields[part.fieldname] = part.value;
    }
  }
  return { fields, files };
}
