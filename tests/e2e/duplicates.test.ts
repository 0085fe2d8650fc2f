import type { LocalStack } from '@river/cli';
import { type RunEvent, Streams, Subjects } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesAlive, startTestStack } from '../helpers/river.js';

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

async function collectUntilFinished(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of client.watch(runId)) {
    events.push(event);
  }
  return events;
}
