import type { z } from 'zod';

export type LeafKind = 'string' | 'number' | 'boolean' | 'array' | 'enum' | 'record';
export type ConfigKey = { path: string[]; kind: LeafKind; description: string; env: string; defaultValue: unknown };

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } }; description?: string };

/** `support.ticketPrefix` -> `TICKETD_SUPPORT_TICKET_PREFIX`. */
export function envNameOf(path: string[]): string {
  return ['TICKETD', ...path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2'))].join('_').toUpperCase();
}

/** Every leaf key of the schema with its kind, description, env name and default, in declaration order. */
export function listConfigKeys(schema: z.ZodType): ConfigKey[] {
  const keys: ConfigKey[] = [];
  walk(schema as AnySchema, [], undefined, undefined);
  return keys;

  function walk(node: AnySchema, path: string[], description: string | undefined, defaultValue: unknown): void {
    const def = node._zod.def;
    const text = node.description ?? description;
    switch (def.type) {
      case 'default':
        walk(def.innerType as AnySchema, path, text, defaultValue ?? (def as unknown as { defaultValue: unknown }).defaultValue);
        return;
      case 'optional':
      case 'nullable':
      case 'pipe':
        walk((def.innerType ?? def.in) as AnySchema, path, text, defaultValue);
        return;
      case 'object': {
        const shape = (def as unknown as { shape: Record<string, AnySchema> }).shape;
        for (const [name, child] of Object.entries(shape)) walk(child, [...path, name], undefined, undefined);
        return;
      }
      default: {
        const kind: LeafKind = def.type === 'record' ? 'record' : def.type === 'enum' ? 'enum' : def.type === 'array' ? 'array' : def.type === 'number' ? 'number' : def.type === 'boolean' ? 'boolean' : 'string';
        keys.push({ path, kind, description: text ?? '', env: envNameOf(path), defaultValue });
      }
    }
  }
}
