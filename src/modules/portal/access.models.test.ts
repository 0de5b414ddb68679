import { describe, expect, it } from 'vitest';
import { likePattern, mayMarkResolved, maySee, visibleTo } from './access.models.js';

const ticket = { requesterEmail: 'dana@acme.test', participants: ['bob@acme.test'], organisationId: 1 };

describe('who sees which ticket on the portal', () => {
  it('shows a ticket to its requester, its participants, the managers of its organisation and engineers, and to nobody else', () => {
    expect(maySee({ email: 'Dana@ACME.test', role: 'member', organisationId: 1 }, ticket)).toBe(true);
    expect(maySee({ email: 'bob@acme.test', role: 'member', organisationId: 1 }, ticket)).toBe(true);
    expect(maySee({ email: 'mia@acme.test', role: 'manager', organisationId: 1 }, ticket)).toBe(true);
    expect(maySee({ email: 'eve@cloudsoft.test', role: 'engineer', organisationId: null }, ticket)).toBe(true);
    // A colleague who is not a manager, and a manager of another organisation, do not.
    expect(maySee({ email: 'ron@acme.test', role: 'member', organisationId: 1 }, ticket)).toBe(false);
    expect(maySee({ email: 'gus@globex.test', role: 'manager', organisationId: 2 }, ticket)).toBe(false);
    expect(maySee({ email: 'nomad@acme.test', role: 'manager', organisationId: null }, { ...ticket, organisationId: null })).toBe(false);
  });

  it('hides internal messages from customers, and lets only customers mark an open ticket resolved', () => {
    const messages = [{ visibility: 'public' as const, id: 1 }, { visibility: 'internal' as const, id: 2 }];
    expect(visibleTo({ email: 'dana@acme.test', role: 'manager', organisationId: 1 }, messages).map((message) => message.id)).toEqual([1]);
    expect(visibleTo({ email: 'eve@cloudsoft.test', role: 'engineer', organisationId: null }, messages).map((message) => message.id)).toEqual([1, 2]);
    expect(mayMarkResolved({ email: 'dana@acme.test', role: 'member', organisationId: 1 }, { status: 'pending' })).toBe(true);
    expect(mayMarkResolved({ email: 'dana@acme.test', role: 'member', organisationId: 1 }, { status: 'closed' })).toBe(false);
  });

  it('searches for LIKE wildcards literally', () => {
    expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
