import { Streams, Subjects } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../../tests/helpers/nats-server.js';
import { followSubject } from './follow.js';
import { connectRiver } from './nats.js';

let server: TestNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.dispose();
});

describe('following a subject', () => {
  it('ends with an error once its connection has given up on the server', async () => {
    const connection = await connectRiver({
      servers: server.url,
      name: 'follower',
      maxReconnectAttempts: 2,
    });
    const subject = Subjects.event('run-follow-closed', 'job.log');
    await connection.js.publish(subject, new Uint8Array([1]));
    const messages = followSubject(connection.js, Streams.events, subject);
    expect((await messages.next()).value?.seq).toBeGreaterThan(0);

    // Waiting for the next message while the server goes away for good:
    // without the server, the follower would try again forever.
    const next = messages.next();
    await server.stop();
    await expect(next).rejects.toThrow(/closed connection/i);
    await server.restart();
  }, 30_000);
});
