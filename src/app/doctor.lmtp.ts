import type { Config } from '../config/config.schema.js';
import { probeLmtpListener } from '../modules/mailbox/drivers/lmtp.probe-driver.js';

// doctor.ts's DoctorCheck, spelled out: doctor.ts imports this file.
type DoctorCheck = { name: string; verdict: 'ok' | 'warn' | 'fail'; detail: string; hint: string };

/**
 * `lmtp` in `ticketd doctor`: is the listener up (ticketd's own greeting on lmtp.host:lmtp.port), and if nothing
 * listens, could `ticketd run` listen there? Nothing is delivered.
 */
export async function checkLmtp({ host, port }: Config['lmtp'], timeoutMs: number): Promise<DoctorCheck> {
  const name = 'lmtp';
  const where = `${host}:${port}`;
  const probe = await probeLmtpListener({ host, port, timeoutMs });
  const exposed = isLoopback(host)
    ? ''
    : `; lmtp.host ${host} is not loopback and the listener has no AUTH or TLS: let only the MTA reach it (firewall, private network)`;
  switch (probe.kind) {
    case 'ticketd':
      return { name, verdict: exposed ? 'warn' : 'ok', detail: `ticketd's LMTP listener answers on ${where}`, hint: exposed.slice(2) };
    case 'other-lmtp':
    case 'other':
      return {
        name,
        verdict: 'fail',
        detail: `another server answers on ${where}: ${probe.greeting}`,
        hint: 'ticketd cannot listen there: choose a free lmtp.port (and point the MTA\'s lmtp: transport at it)',
      };
    case 'nothing':
      return probe.bindable
        ? {
            name,
            verdict: 'warn',
            detail: `nothing listens on ${where} (ticketd run is not running; it can listen there)`,
            hint: `start ticketd run; until then the MTA keeps help@'s mail queued and retries${exposed}`,
          }
        : { name, verdict: 'fail', detail: `nothing listens on ${where}, and ticketd could not listen there: ${probe.error}`, hint: bindHint(probe.error) };
    case 'error':
      return { name, verdict: 'fail', detail: `${where}: ${probe.error}`, hint: 'check lmtp.host and lmtp.port, and that no firewall drops connections to them' };
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function bindHint(code: string): string {
  if (code === 'EACCES') return 'ports below 1024 need privileges: use a higher lmtp.port (2424 is customary)';
  if (code === 'EADDRNOTAVAIL') return 'lmtp.host is not an address of this machine';
  if (code === 'EADDRINUSE') return 'the port is taken by a process that does not answer: choose another lmtp.port';
  return 'check lmtp.host and lmtp.port';
}
