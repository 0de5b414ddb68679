import Mustache from 'mustache';
import type { TemplateFormat, TemplateSpec, VariableSpec } from './templates.catalog.js';

/**
 * Templates are Mustache (https://mustache.github.io/mustache.5.html): {{name}} inserts a value, HTML-escaped
 * in .html templates and as-is in .txt ones; {{#name}}...{{/name}} shows a block when the value is true or
 * non-empty, or repeats it per item of a list; {{^name}}...{{/name}} when false or empty. No partials.
 */

type Token = [type: string, value: string, start: number, end: number, children?: Token[]];

/** Problems of one template against its variables: syntax errors, unknown names, partials. Empty when fine. */
export function checkTemplate({ source, spec }: { source: string; spec: TemplateSpec }): string[] {
  let tokens: Token[];
  try {
    tokens = new Mustache.Writer().parse(source) as unknown as Token[];
  } catch (error) {
    return [(error as Error).message];
  }
  const problems: string[] = [];
  const topLevel = new Set(Object.keys(spec.variables));
  const lineOf = (offset: number) => source.slice(0, offset).split('\n').length;
  type Scope = Map<string, VariableSpec>;
  const specOf = (entry: string | VariableSpec): VariableSpec => (typeof entry === 'string' ? { description: entry } : entry);

  // Each list section brings its item's names into scope, at any depth (a page's messages, each with attachments).
  function walk(list: Token[], scope: Scope, inStrings: boolean) {
    for (const [type, value, start, , children] of list) {
      if (type === 'text' || type === '!' || type === '=') continue;
      if (type === '>') {
        problems.push(`line ${lineOf(start)}: partials ({{> ${value}}}) are not supported`);
        continue;
      }
      const known = value === '.' ? inStrings : scope.has(value.split('.')[0] as string);
      if (!known) problems.push(`line ${lineOf(start)}: unknown variable "${value}" (known: ${[...topLevel].sort().join(', ')})`);
      if ((type === '#' || type === '^') && children) {
        const variable = scope.get(value);
        const inner = type === '#' && variable?.item ? new Map([...scope, ...Object.entries(variable.item).map(([name, entry]): [string, VariableSpec] => [name, specOf(entry)])]) : scope;
        walk(children, inner, type === '#' ? Boolean(variable?.strings) : inStrings);
      }
    }
  }
  walk(tokens, new Map(Object.entries(spec.variables)), false);
  return problems;
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The five characters that matter in element content and quoted attributes (Mustache's own also turns / and = into entities). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string);
}

export type TemplateWriter = Mustache.Writer;
/** Keeps the sources it renders parsed: one per loaded set of templates. */
export const createTemplateWriter = (): TemplateWriter => new Mustache.Writer();

/**
 * Renders a checked template. Text keeps values as they are; HTML escapes them (unless {{{triple}}}). `writer`:
 * one per loaded set of templates, which keeps each source parsed once (a fresh one parses it on every call).
 */
export function renderTemplate({ source, format, view, writer = new Mustache.Writer() }: { source: string; format: TemplateFormat; view: Record<string, unknown>; writer?: TemplateWriter }): string {
  return writer.render(source, view, undefined, { escape: format === 'html' ? escapeHtml : (value: unknown) => String(value) });
}
