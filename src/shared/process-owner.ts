import { hostname } from 'node:os';

/** This process as a lease owner: `host:pid` (outbox deliveries, mailbox leases). */
export function processOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Whether `owner` (`host:pid`) is a process on this host that no longer runs: its leases can be taken at once
 * instead of when they expire. An owner on another host, or one that cannot be parsed, is never called gone.
 */
export function ownerIsGone(owner: string, self: string = processOwner(), isAlive: (pid: number) => boolean = processAlive): boolean {
  const separator = owner.lastIndexOf(':');
  const pid = Number(owner.slice(separator + 1));
  return owner !== self && separator > 0 && owner.slice(0, separator) === self.slice(0, self.lastIndexOf(':')) && Number.isInteger(pid) && pid > 0 && !isAlive(pid);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
