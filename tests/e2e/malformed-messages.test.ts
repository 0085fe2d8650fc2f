import { readFile } from 'node:fs/promises';
import type { LocalStack } from '@river/cli';
import { Streams, Subjects } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, servicesAlive, startTestStack } from '../helpers/river.js';

let stack: LocalStack;
let nats: RiverConnection;
const packr = new Packr({ useRecords: false });

/** The input subject of each service, with the stream that holds it. */
const INPUTS = [
  {
    service: 'controller',
    subject: Subjects.submit,
    stream: Streams.submissions,
  },
  {
    service: 'scheduler',
    subject: Subjects.taskRequest,
    stream: Streams.taskRequests,
  },
  {
    service: 'scheduler',
    subject: Subjects.taskResult,
    stream: Streams.taskResults,
  },
  {
    service: 'sandbox',
    subject: Subjects.dispatch('default'),
    stream: Streams.dispatch,
  },
  {
    service: 'log-collector',
    subject: Subjects.logChunk('run-bad', 'task-1'),
    stream: Streams.logs,
  },
] as const;

const BAD_PAYLOADS = {
  'bytes that are not MessagePack': new Uint8Array([0xc1, 0xc1, 0xc1]),
  'a wrong schema version': packr.pack({ schema: 99, runId: 'run-bad' }),
  'a message missing its fields': packr.pack({ schema: 1 }),
};

async function waitFor(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting until ${what}`);
}

beforeAll(async () => {
  stack = await startTestStack();
  nats = await connectRiver({ servers: stack.natsUrl, name: 'malformed' });
});

afterAll(async () => {
  await nats?.nc.close();
  await stack?.stop();
});

describe('a malformed message published by hand', () => {
  for (const input of INPUTS) {
    for (const [kind, payload] of Object.entries(BAD_PAYLOADS)) {
      it(`on ${input.subject} (${kind}) is logged by the ${input.service}, acknowledged and not redelivered`, async () => {
        await nats.js.publish(input.subject, payload);

        const logFile = stack.services.find(
          (service) => service.name === input.service,
        )?.logFile as string;
        await waitFor(async () => {
          const log = await readFile(logFile, 'utf8');
          return (
            log.includes('Rejected malformed message') &&
            log.includes(input.subject)
          );
        }, `the ${input.service} logs the rejection`);
        if (input.stream !== Streams.logs) {
          // A work queue drops a message once it is acknowledged.
          await waitFor(async () => {
            const info = await nats.jsm.streams.info(input.stream);
            return info.state.messages === 0;
          }, `${input.stream} is empty`);
        }
        expect(servicesAlive(stack)).toBe(true);
      });
    }
  }

  it('on the log query subject gets an error reply naming the field', async () => {
    const reply = await nats.nc.request(
      Subjects.logQuery,
      packr.pack({ schema: 1, runId: 'not a token' }),
      { timeout: 5_000 },
    );
    const answer = packr.unpack(reply.data) as { error?: string };

    expect(answer.error).toMatch(/\/runId/);
  });

  it('leaves every service able to run a pipeline afterwards', async () => {
    const result = await river(
      ['run', 'tests/fixtures/hello.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(0);
    expect(servicesAlive(stack)).toBe(true);
  });
});
