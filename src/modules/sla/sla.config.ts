import type { Config } from '../../config/config.schema.js';
import type { Severity } from '../desk/severity.models.js';
import { firstResponseTarget, type SlaTarget } from './sla-targets.models.js';
import { calendarOf } from '../desk/business-hours.models.js';
import { describeSlaTarget } from '../desk/response-target.models.js';
import { organisationOf } from '../desk/address.models.js';

/** The customer's first-response target for a new ticket, as the confirmation states it ("30 minutes"). */
export function firstResponseTargetOf({ config, requesterEmail, severity }: { config: Pick<Config, 'sla' | 'paging'>; requesterEmail: string; severity: Severity }): SlaTarget & { description: string } {
  const target = firstResponseTarget({ sla: config.sla, organisation: organisationOf(requesterEmail), severity, calendar: calendarOf(config.paging) });
  return { ...target, description: describeSlaTarget(target) };
}
