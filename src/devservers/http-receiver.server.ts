/**
 * A local HTTP receiver on 127.0.0.1 standing in for PagerDuty's Events API v2 or a webhook. It records
 * every request and by default answers like PagerDuty; a responder overrides the answer (a status, a
 * body, a delay) to simulate rate limits, outages or a server that never answers.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from './listen.js';
import { createRecording } from './recording.js';

export type ReceivedRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw string when the body is not JSON. */
  body: unknown;
  rawBody: string;
  /** The status answered (or about to be answered, while a delay runs). */
  status: number;
  receivedAt: Date;
};

export type HttpAnswer = { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> };

/** Return an answer to override the default, undefined to keep it. */
export type HttpResponder = (req: ReceivedRequest) => HttpAnswer | undefined;

export type HttpReceiver = {
  url: string;
  requests: ReceivedRequest[];
  setResponder(fn: HttpResponder | undefined): void;
  /** Resolves with the requests once there are at least `count` of them. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  clear(): void;
  close(): Promise<void>;
};

export async function startHttpReceiver({ port = 0 }: { port?: number } = {}): Promise<HttpReceiver> {
  const recording = createRecording<ReceivedRequest>({ describe: (got, wanted, ms) => `HTTP receiver got ${got} of ${wanted} requests within ${ms} ms` });
  const requests = recording.items;
  const delays = new Set<NodeJS.Timeout>();
  let responder: HttpResponder | undefined;

  const server = createServer((req, res) => {
    readBody(req).then((rawBody) => {
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: { ...req.headers },
        body: parseJson(rawBody),
        rawBody,
        status: 0,
        receivedAt: new Date(),
      };
      const answer = responder?.(request) ?? pagerDutyAnswer(request);
      request.status = answer.status;
      recording.record(request);

      const respond = () => {
        const payload = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        const type = typeof answer.body === 'string' ? 'text/plain' : 'application/json';
        res.writeHead(answer.status, { ...(payload ? { 'content-type': type } : {}), ...answer.headers });
        res.end(payload);
      };
      if (!answer.delayMs) return respond();
      const timer = setTimeout(() => {
        delays.delete(timer);
        respond();
      }, answer.delayMs);
      delays.add(timer);
    }, () => res.destroy());
  });

  const boundPort = await listenOnLoopback(server, port, { what: 'HTTP receiver', addressOf: () => server.address() });

  return {
    url: `http://127.0.0.1:${boundPort}`,
    requests,
    setResponder(fn) {
      responder = fn;
    },
    waitFor: recording.waitFor,
    clear: recording.clear,
    close() {
      // Answers still waiting on a delay (a "server that never answers") would hold close() open.
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/**
 * PagerDuty's answers as documented for POST /v2/enqueue: 202 with the dedup key (generated when a trigger
 * has none), or 400 "invalid event" listing what is wrong. The 32-character routing key length check is
 * left out so tests can use readable keys.
 */
export function pagerDutyAnswer(request: Pick<ReceivedRequest, 'method' | 'body'>): HttpAnswer {
  if (request.method !== 'POST') return { status: 405, body: { status: 'method not allowed', message: 'Use POST' } };
  const event = request.body;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return invalid(['Event object is not valid JSON']);
  }
  const { routing_key, event_action, dedup_key, payload } = event as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof routing_key !== 'string' || routing_key === '') errors.push("'routing_key' is missing or blank");
  if (typeof event_action !== 'string' || !ACTIONS.includes(event_action)) {
    errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
  }
  if (dedup_key !== undefined && (typeof dedup_key !== 'string' || dedup_key.length > 255)) errors.push("'dedup_key' is invalid");
  if ((event_action === 'acknowledge' || event_action === 'resolve') && (typeof dedup_key !== 'string' || dedup_key === '')) {
    errors.push("'dedup_key' is missing or blank");
  }
  if (event_action === 'trigger') {
    const fields = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
    if (typeof fields.summary !== 'string' || fields.summary === '') errors.push("'payload.summary' is missing or blank");
    if (typeof fields.source !== 'string' || fields.source === '') errors.push("'payload.source' is missing or blank");
    if (typeof fields.severity !== 'string' || !SEVERITIES.includes(fields.severity)) {
      errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
    }
  }
  if (errors.length > 0) return invalid(errors);
  const key = typeof dedup_key === 'string' && dedup_key !== '' ? dedup_key : randomBytes(16).toString('hex');
  return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
}

function invalid(errors: string[]): HttpAnswer {
  return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
}
