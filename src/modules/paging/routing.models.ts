import type { Severity } from '../desk/severity.models.js';

export type RoutingConfig = {
  routingKey: string;
  severityRoutingKeys: Partial<Record<Severity, string>>;
  organisationRoutingKeys: Record<string, string>;
};

/**
 * The PagerDuty routing key of a ticket's FIRST trigger: the organisation's key, else the severity's, else
 * the default. Later events of the ticket (acknowledge, resolve, a severity raise) reuse the key that first
 * trigger was sent with, because PagerDuty scopes a dedup_key to one routing key.
 */
export function routingKeyFor({ pager, organisation, severity }: { pager: RoutingConfig; organisation: string; severity: Severity }): string {
  return pager.organisationRoutingKeys[organisation] ?? pager.severityRoutingKeys[severity] ?? pager.routingKey;
}
