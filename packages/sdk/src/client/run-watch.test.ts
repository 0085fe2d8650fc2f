import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../../tests/helpers/nats-server.js';
import { RiverClient } from './client.js';
import { ConnectionError } from './errors.js';

let server: TestNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.dispose();
});

describe('a watch', () => {
  it('fails, saying how to go on, once its connection gives up on NATS', async () => {
    const client = await RiverClient.connect({
      servers: server.url,
      maxReconnectAttempts: 2,
    });
    // A run with no events yet: the watch waits for its first.
    const events = client.watch('run-watch-lost-nats');
    const next = events.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.stop();

    const failure = await next.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toMatch(
      /Lost NATS while watching run run-watch-lost-nats.*river watch run-watch-lost-nats/,
    );
    // Closing it afterwards adds no second error.
    await expect(client.close()).resolves.toBeUndefined();
    await server.restart();
  }, 30_000);
});
