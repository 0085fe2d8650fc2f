import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../../tests/helpers/nats-server.js';
import {
  type HealthServer,
  healthSettingsFromEnv,
  startHealthServer,
  withHealthProbes,
} from './health.js';
import { createServiceLogger } from './logger.js';
import { connectRiver } from './nats.js';

let server: TestNatsServer;
const log = createServiceLogger('health-test', 'silent');

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.dispose();
});

async function probe(
  port: number,
  path = '/healthz',
  method = 'GET',
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await response.text();
  return {
    status: response.status,
    body: text.startsWith('{') ? JSON.parse(text) : undefined,
  };
}

/** Polls `probe` until it answers `status`, for up to 10 s. */
async function until(
  port: number,
  status: number,
  path = '/healthz',
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = await probe(port, path);
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe(port, path);
  }
  expect(last.status, JSON.stringify(last.body)).toBe(status);
}

async function freePort(): Promise<number> {
  const socket = createServer().listen(0, '127.0.0.1');
  await once(socket, 'listening');
  const address = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

// The probes report on every connection of the process, so these tests
// run in order and each closes what it opened.
describe('the health probes', () => {
  it('answer 503 while the process has no NATS connection', async () => {
    const health = await startHealthServer({ port: 0, host: '127.0.0.1' });
    try {
      const answer = await probe(health.port);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ status: 'unavailable' });
      expect(answer.body).toMatchObject({ connections: 0 });
      expect((await probe(health.port, '/readyz')).status).toBe(503);
    } finally {
      await health.close();
    }
  });

  it('answer 200 while connected, 503 while the server is down, 200 again after', async () => {
    const health = await startHealthServer({ port: 0, host: '127.0.0.1' });
    const river = await connectRiver({ servers: server.url, name: 'probe' });
    try {
      expect(await probe(health.port)).toEqual({
        status: 200,
        body: { status: 'ok', stopping: false, connections: 1, connected: 1 },
      });
      expect((await probe(health.port, '/readyz')).status).toBe(200);

      await server.stop();
      await until(health.port, 503);
      expect((await probe(health.port, '/readyz')).status).toBe(503);

      await server.restart();
      await until(health.port, 200);
      expect((await probe(health.port, '/readyz')).status).toBe(200);

      await river.nc.close();
      await until(health.port, 503);
    } finally {
      await river.nc.close();
      await health.close();
    }
  });

  it('turn /readyz to 503 once the service stops, while /healthz stays 200', async () => {
    const port = await freePort();
    let finishClose = () => {};
    const closing = new Promise<void>((resolve) => {
      finishClose = resolve;
    });
    const seenBeforeConnecting: number[] = [];

    const start = withHealthProbes(
      async () => {
        // The probes listen before the service connects.
        seenBeforeConnecting.push((await probe(port)).status);
        const river = await connectRiver({ servers: server.url, name: 'svc' });
        return {
          async close() {
            await closing;
            await river.nc.close();
          },
        };
      },
      { RIVER_HEALTH_PORT: String(port), RIVER_HEALTH_HOST: '127.0.0.1' },
    );
    const service = await start({}, { log });

    expect(seenBeforeConnecting).toEqual([503]);
    expect((await probe(port, '/readyz')).status).toBe(200);

    const closed = service.close();
    await until(port, 503, '/readyz');
    expect((await probe(port, '/healthz')).status).toBe(200);
    expect((await probe(port, '/readyz')).body).toMatchObject({
      stopping: true,
    });

    finishClose();
    await closed;
    await expect(probe(port)).rejects.toThrow();
  });

  it('answer 404 on other paths and 405 on other methods', async () => {
    const health: HealthServer = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
    });
    try {
      expect((await probe(health.port, '/metrics')).status).toBe(404);
      expect((await probe(health.port, '/healthz', 'POST')).status).toBe(405);
      expect((await probe(health.port, '/healthz', 'HEAD')).status).toBe(503);
    } finally {
      await health.close();
    }
  });
});

describe('the health settings', () => {
  it('start no probes without RIVER_HEALTH_PORT', async () => {
    expect(healthSettingsFromEnv({})).toBeUndefined();
    expect(
      healthSettingsFromEnv({ RIVER_HEALTH_HOST: '127.0.0.1' }),
    ).toBeUndefined();

    let started = false;
    const start = withHealthProbes(async () => {
      started = true;
      return { close: async () => undefined };
    }, {});
    await (await start({}, { log })).close();
    expect(started).toBe(true);
  });

  it('listen on any address unless RIVER_HEALTH_HOST says otherwise', () => {
    expect(healthSettingsFromEnv({ RIVER_HEALTH_PORT: '9090' })).toEqual({
      port: 9090,
      host: '0.0.0.0',
    });
    expect(
      healthSettingsFromEnv({
        RIVER_HEALTH_PORT: '9090',
        RIVER_HEALTH_HOST: '127.0.0.1',
      }),
    ).toEqual({ port: 9090, host: '127.0.0.1' });
  });

  it('refuse a port that is not one, naming the variable', () => {
    for (const port of ['http', '0', '70000']) {
      expect(() => healthSettingsFromEnv({ RIVER_HEALTH_PORT: port })).toThrow(
        expect.objectContaining({
          variable: 'RIVER_HEALTH_PORT',
          message: expect.stringMatching(/RIVER_HEALTH_PORT is "/),
        }),
      );
    }
  });
});
