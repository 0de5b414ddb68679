import { withoutTrailingSlashes } from '../../shared/url.js';

/** Where the portal is, from the `http` config section (shape only: desk does not know the config). */
export type PortalAddress = { publicUrl: string; host: string; port: number };

/** The portal's base URL as people reach it: http.publicUrl, else the listener itself; '' when there is no portal (port 0). */
export function portalBaseUrl(http: PortalAddress): string {
  if (http.publicUrl) return withoutTrailingSlashes(http.publicUrl);
  return http.port > 0 ? `http://${http.host}:${http.port}` : '';
}

/** `https://support.example.com/tickets/CS-12`, the page behind every link to a ticket; '' without a portal. */
export function ticketUrlOf(http: PortalAddress, ref: string): string {
  const base = portalBaseUrl(http);
  return base ? `${base}/tickets/${encodeURIComponent(ref)}` : '';
}
