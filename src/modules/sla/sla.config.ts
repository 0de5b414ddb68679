import type { Config } from '../../config/config.schema.js';
import type { Severity } from '../intake/severity.models.js';
import { calendarOf } from '../paging/paging.config.js';
import { describeSlaTarget, firstResponseTarget, organisationOf, type SlaTarget } from './sla-targets.models.js';

/** The customer's first-response target for a new ticket, as the confirmation states it ("30 minutes"). */
export function firstResponseTargetOf({ config, requesterEmail, severity }: { config: Pick<Config, 'sla' | 'paging'>; requesterEmail: string; severity: Severity }): SlaTarget & { description: string } {
  const target = firstResponseTarget({ sla: config.sla, organisation: organisationOf(requesterEmail), severity, calendar: calendarOf(config.paging) });
  return { ...target, description: describeSlaTarget(target) };
}
