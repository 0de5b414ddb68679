import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Service = { image?: string; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; depends_on?: Record<string, { condition: string }> };

// No docker here: the compose files are checked as data (the shape an operator relies on), not run.
describe('docker-compose.postgres.example.yml', () => {
  const compose = parse(readFileSync(new URL('../docker-compose.postgres.example.yml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, Service> };

  it('runs a postgres service and two ticketd instances on it, each with its own ports and volume', () => {
    const { postgres, 'ticketd-a': a, 'ticketd-b': b } = compose.services;
    expect(postgres?.image).toMatch(/^postgres:/);
    for (const instance of [a, b]) {
      expect(instance?.environment?.TICKETD_DATABASE_URL).toMatch(/^postgres:\/\/ticketd:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/ticketd$/);
      expect(instance?.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(instance?.volumes).toContain('./ticketd.yaml:/etc/ticketd/ticketd.yaml:ro');
    }
    const hostPorts = [...(a?.ports ?? []), ...(b?.ports ?? [])].map((port) => port.split(':').slice(0, 2).join(':'));
    expect(new Set(hostPorts).size).toBe(4);
    expect(hostPorts.every((port) => port.startsWith('127.0.0.1:'))).toBe(true);
    expect(a?.volumes?.find((volume) => volume.endsWith(':/var/lib/ticketd'))).not.toBe(b?.volumes?.find((volume) => volume.endsWith(':/var/lib/ticketd')));
  });
});
