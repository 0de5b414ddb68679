export type PagerSeverity = 'critical' | 'error' | 'warning' | 'info';

/** A PagerDuty Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export type PagerEvent = {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerSeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: Array<{ href: string; text: string }>;
};

export type Pager = {
  /** Throws a TicketdError: retryable for 429, 5xx and network errors, not for 400. */
  send(event: PagerEvent): Promise<{ status: number; dedupKey?: string }>;
};
