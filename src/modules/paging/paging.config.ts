import type { Config } from '../../config/config.schema.js';
import type { BusinessCalendar } from './business-hours.models.js';

/** The business-hours calendar of the `paging` config section (also used by SLA targets). */
export function calendarOf(paging: Config['paging']): BusinessCalendar {
  return { timezone: paging.timezone, days: paging.businessDays, start: paging.businessHoursStart, end: paging.businessHoursEnd, holidays: paging.holidays };
}
