import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStack } from '@river/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, runIdOf, startTestStack } from '../helpers/river.js';

/** One span as the OTLP/HTTP JSON exporter sends it, with its service. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
  status: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function attributesOf(list: OtlpAttribute[] = []) {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) {
    out[key] =
      value.stringValue ?? value.boolValue ?? Number(value.intValue ?? NaN);
  }
  return out;
}

const spans: ReceivedSpan[] = [];
let receiver: Server;
let stack: LocalStack;

/** Collects every span posted to /v1/traces in JSON. */
function startReceiver(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const parsed = JSON.parse(body);
        for (const rs of parsed.resourceSpans ?? []) {
          const service = String(
            attributesOf(rs.resource?.attributes)['service.name'],
          );
          for (const ss of rs.scopeSpans ?? []) {
            for (const span of ss.spans ?? []) {
              spans.push({
                service,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                name: span.name,
                attributes: attributesOf(span.attributes),
                status: span.status?.code ?? 0,
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Waits until `ready` holds of the spans received, or fails naming why. */
async function waitForSpans(what: string, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(
        `no ${what} among ${spans.length} spans: ${JSON.stringify(spans)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function spansOfRun(runId: string): ReceivedSpan[] {
  return spans.filter((span) => span.attributes.runId === runId);
}

beforeAll(async () => {
  receiver = await startReceiver();
  const { port } = receiver.address() as AddressInfo;
  stack = await startTestStack({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('tracing', () => {
  it('shows a run as one trace: run, its jobs, their task attempts', async () => {
    const result = await river(
      ['run', 'tests/fixtures/hello.ts'],
      stack.natsUrl,
    );
    expect(result.code).toBe(0);
    const runId = runIdOf(result.stdout);

    // greet runs one task, shout two: three attempts, each under its job.
    await waitForSpans('run, 2 jobs and 3 attempts', () => {
      const own = spansOfRun(runId);
      return (
        own.filter((span) => span.name === 'run').length === 1 &&
        own.filter((span) => span.name === 'job').length === 2 &&
        own.filter((span) => span.name === 'task attempt').length === 3
      );
    });
    const own = spansOfRun(runId);
    const run = own.find((span) => span.name === 'run');
    expect(run?.parentSpanId).toBeUndefined();
    expect(run?.service).toBe('river-controller');
    expect(new Set(own.map((span) => span.traceId))).toEqual(
      new Set([run?.traceId]),
    );

    const jobs = own.filter((span) => span.name === 'job');
    expect(jobs.map((span) => span.attributes.job).sort()).toEqual([
      'greet',
      'shout',
    ]);
    for (const job of jobs) {
      expect(job.parentSpanId).toBe(run?.spanId);
      expect(job.status).not.toBe(2);
    }

    const attempts = own.filter((span) => span.name === 'task attempt');
    for (const attempt of attempts) {
      const job = jobs.find((span) => span.spanId === attempt.parentSpanId);
      expect(attempt.service).toBe('river-sandbox');
      expect(job?.attributes.job).toBe(attempt.attributes.job);
      expect(attempt.attributes.taskId).toMatch(/^(greet|shout)-\d+$/);
      expect(attempt.attributes.attempt).toBe(1);
      expect(attempt.status).not.toBe(2);
    }
    const dispatches = own.filter((span) => span.name === 'dispatch');
    expect(dispatches.every((span) => span.service === 'river-scheduler')).toBe(
      true,
    );
  });

  it('marks a failing task attempt, its job and its run as errors', async () => {
    const result = await river(
      ['run', 'tests/fixtures/failing-task.ts'],
      stack.natsUrl,
    );
    expect(result.code).not.toBe(0);
    const runId = runIdOf(result.stdout);

    await waitForSpans('failed attempt', () =>
      spansOfRun(runId).some(
        (span) => span.name === 'task attempt' && span.status === 2,
      ),
    );
    await waitForSpans('failed run', () =>
      spansOfRun(runId).some(
        (span) => span.name === 'run' && span.status === 2,
      ),
    );
    const own = spansOfRun(runId);
    const attempt = own.find((span) => span.name === 'task attempt');
    const job = own.find((span) => span.spanId === attempt?.parentSpanId);
    expect(job?.attributes.job).toBe('fails');
    expect(job?.status).toBe(2);
    expect(attempt?.attributes.exitCode).toBe(3);
  });
});
