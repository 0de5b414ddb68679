import { describe, expect, it } from 'vitest';
import { isPublicSuffix } from './address.models.js';

describe('public suffixes (the Public Suffix List, bundled with tldts)', () => {
  it.each(['co.uk', 'com', 'COM.AU', 'github.io', 'test', '192.0.2.1'])('refuses %s as a customer domain', (domain) => {
    expect(isPublicSuffix(domain)).toBe(true);
  });
  it.each(['acme.co.uk', 'acme.com', 'acme.github.io', 'acme.test'])('accepts %s', (domain) => {
    expect(isPublicSuffix(domain)).toBe(false);
  });
});
