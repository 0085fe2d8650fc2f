import { readFile } from 'node:fs/promises';
import { type LocalStack, startServiceProcess } from '@river/cli';
import {
  encode,
  type RunEvent,
  type RunSubmission,
  SCHEMA_VERSION,
  Streams,
  Subjects,
} from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { newRunId, RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  servicesAlive,
  startTestStack,
  TEST_SERVICE_ENV,
} from '../helpers/river.js';

let stack: LocalStack;
let nats: RiverConnection;
let client: RiverClient;

beforeAll(async () => {
  stack = await startTestStack();
  nats = await connectRiver({ servers: stack.natsUrl, name: 'duplicates' });
  client = await RiverClient.connect({ servers: stack.natsUrl });
});

afterAll(async () => {
  await client?.close();
  await nats?.nc.close();
  await stack?.stop();
});

async function history(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of client.watch(runId, { follow: false })) {
    events.push(event);
  }
  return events;
}

async function storedLog(runId: string): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of client.logs(runId)) {
    chunks.push(`${chunk.taskId}#${chunk.attempt}#${chunk.seq}`);
  }
  return chunks.sort();
}

describe('a message delivered a second time', () => {
  it('changes nothing: submissions, task requests, results and log chunks', async () => {
    // Every message the services exchange for one run, as sent.
    const sent: { subject: string; data: Uint8Array }[] = [];
    const subjects = [
      Subjects.submit,
      Subjects.taskRequest,
      Subjects.taskResult,
      Subjects.allLogChunks,
    ];
    const subscriptions = subjects.map((subject) =>
      nats.nc.subscribe(subject, {
        callback: (_error, msg) => {
          sent.push({ subject: msg.subject, data: msg.data });
        },
      }),
    );
    await nats.nc.flush();
    const { runId } = await client.submit('tests/fixtures/hello.ts');
    const first = await collectUntilFinished(runId);
    for (const subscription of subscriptions) {
      subscription.unsubscribe();
    }
    expect(first.at(-1)).toMatchObject({ status: 'succeeded' });
    const logBefore = await storedLog(runId);
    const mine = sent.filter(({ data }) =>
      Buffer.from(data).includes(Buffer.from(runId)),
    );
    const kinds = new Set(mine.map(({ subject }) => subject.split('.')[2]));
    expect([...kinds].sort()).toEqual(['log', 'run', 'task']);

    // The same messages again, under new message ids, so that JetStream's
    // duplicate window cannot catch them: only the consumers can. The
    // events stream's window is shortened and let pass too, as if they
    // came back hours later: a consumer's repeated announcement would
    // then be stored again.
    const events = await nats.jsm.streams.info(Streams.events);
    await nats.jsm.streams.update(Streams.events, {
      ...events.config,
      duplicate_window: 1_000_000_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const [index, { subject, data }] of mine.entries()) {
      await nats.js.publish(subject, data, { msgID: `again-${index}` });
    }
    // Long enough for every service to have handled each of them.
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    // Each repeat was taken off its work queue, so each was handled.
    for (const stream of [
      Streams.submissions,
      Streams.taskRequests,
      Streams.taskResults,
    ]) {
      const info = await nats.jsm.streams.info(stream);
      expect(info.state.messages, stream).toBe(0);
    }
    expect(servicesAlive(stack)).toBe(true);
    const second = await history(runId);
    expect(second.slice(first.length)).toEqual([]);
    expect(await storedLog(runId)).toEqual(logBefore);
  }, 60_000);
});

describe('a second submission of a run', () => {
  it('is refused, and the run goes on under its own controller', async () => {
    const other = await client.submit('tests/fixtures/hello.ts');
    await collectUntilFinished(other.runId);
    const { runId } = await client.submit('tests/fixtures/slow-output.ts');
    const watched = collectUntilFinished(runId);
    // Someone who knows the run id submits it again, naming another
    // bundle, past the submission's duplicate window (a new message id).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second: RunSubmission = {
      schema: SCHEMA_VERSION,
      runId,
      bundleDigest: other.bundleDigest,
      file: 'tests/fixtures/hello.ts',
      submittedAt: Date.now(),
      sources: [],
      params: {},
    };
    await nats.js.publish(Subjects.submit, encode('submission', second), {
      msgID: `${runId}-again`,
    });
    const events = await watched;
    expect(events.at(-1)).toMatchObject({ status: 'succeeded' });
    expect(events.filter((event) => event.type === 'run.resumed')).toEqual([]);
    const submitted = events.find((event) => event.type === 'run.submitted');
    expect(submitted).toMatchObject({ submissionSeq: expect.any(Number) });
    // The refused message left the queue, and the run's own once it ended.
    await expect
      .poll(
        async () =>
          (await nats.jsm.streams.info(Streams.submissions)).state.messages,
        { timeout: 5_000 },
      )
      .toBe(0);
    const controller = stack.services.find(
      (service) => service.name === 'controller',
    );
    const log = await readFile(controller?.logFile ?? '', 'utf8');
    expect(log).toContain('Refused a second submission of a run');
    expect(servicesAlive(stack)).toBe(true);
  }, 60_000);
});

describe('two submissions of one new run, racing', () => {
  it('leave the run to the one recorded first, even on two controllers', async () => {
    const second = await startServiceProcess(
      'controller',
      { ...TEST_SERVICE_ENV, NATS_URL: stack.natsUrl },
      stack.logDir,
    );
    try {
      const hello = await client.submit('tests/fixtures/hello.ts');
      await collectUntilFinished(hello.runId);
      const slow = await client.submit('tests/fixtures/slow-output.ts');
      await collectUntilFinished(slow.runId);
      // A few rounds: which controller takes which message varies.
      for (let round = 0; round < 3; round++) {
        const runId = newRunId();
        const submission = (bundleDigest: string, file: string) =>
          encode('submission', {
            schema: SCHEMA_VERSION,
            runId,
            bundleDigest,
            file,
            submittedAt: Date.now(),
            sources: [],
            params: {},
          });
        // Back to back, so that each controller may take one.
        await Promise.all([
          nats.js.publish(
            Subjects.submit,
            submission(slow.bundleDigest, 'tests/fixtures/slow-output.ts'),
            { msgID: runId },
          ),
          nats.js.publish(
            Subjects.submit,
            submission(hello.bundleDigest, 'tests/fixtures/hello.ts'),
            { msgID: `${runId}-again` },
          ),
        ]);
        const events = await collectUntilFinished(runId);
        const count = (type: string) =>
          events.filter((event) => event.type === type).length;
        expect(count('run.submitted')).toBe(1);
        expect(count('run.started')).toBe(1);
        // Only the winning project's jobs ran (hello has two, the other
        // one); both projects' would be three.
        const started = events.find((event) => event.type === 'run.started');
        const jobs = started?.type === 'run.started' ? started.jobs : [];
        expect(count('job.started')).toBe(jobs.length);
        expect(count('job.finished')).toBe(jobs.length);
        expect(events.at(-1)).toMatchObject({ status: 'succeeded' });
      }
    } finally {
      await second.stop();
    }
  }, 60_000);
});

async function collectUntilFinished(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of client.watch(runId)) {
    events.push(event);
  }
  return events;
}
