import { hostname } from 'node:os';

/**
 * This process as a lease owner: `host:pid` (outbox deliveries, mailbox leases, the instances sharing the
 * mailboxes). `TICKETD_INSTANCE_NAME` replaces the host name: instances that share a host name (containers with
 * one, the tests' stand-in for two hosts) are then told apart, and none takes another's leases early for a pid it
 * cannot see.
 */
export function processOwner(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.TICKETD_INSTANCE_NAME ?? '';
  if (name === '') return `${hostname()}:${process.pid}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error('TICKETD_INSTANCE_NAME must be 1-64 letters, digits, dots, underscores or hyphens');
  return `${name}:${process.pid}`;
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
