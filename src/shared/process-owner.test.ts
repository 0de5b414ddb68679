import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ownerIsGone, processOwner } from './process-owner.js';

describe('the lease owner of this process', () => {
  it('is host:pid, or TICKETD_INSTANCE_NAME:pid when set', () => {
    expect(processOwner({})).toBe(`${hostname()}:${process.pid}`);
    expect(processOwner({ TICKETD_INSTANCE_NAME: 'desk-a.eu_1' })).toBe(`desk-a.eu_1:${process.pid}`);
  });

  it('refuses a name that could be mistaken for another owner or carries terminal text', () => {
    for (const name of ['a:1', 'two words', '\u001b[31mred', 'x'.repeat(65)]) expect(() => processOwner({ TICKETD_INSTANCE_NAME: name })).toThrow(/TICKETD_INSTANCE_NAME must be/);
  });

  it('calls an owner gone only when it names this host (or instance name) and its pid no longer runs', () => {
    const dead = () => false;
    expect(ownerIsGone('desk-a:4242', 'desk-a:1', dead)).toBe(true);
    expect(ownerIsGone('desk-b:4242', 'desk-a:1', dead)).toBe(false); // another instance name: wait for its lease to expire
    expect(ownerIsGone('desk-a:4242', 'desk-a:1', () => true)).toBe(false);
    expect(ownerIsGone('desk-a:1', 'desk-a:1', dead)).toBe(false);
  });
});
