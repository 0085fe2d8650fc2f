import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RiverConnection } from '@river/protocol/internal';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventHub } from '../event-hub.js';
import type { NatsReachability } from '../nats-reachability.js';
import { serveLiveStream } from './live-stream.js';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

describe('the live stream', () => {
  it('answers a HEAD request with its headers at once', async () => {
    // A hub with nothing new: a GET would wait on it for events.
    const hub = {
      latestSeq: 7,
      after: () => [],
      next: () => new Promise<boolean>(() => {}),
    } as unknown as EventHub;
    const log = { info: () => {}, warn: () => {} };
    server = createServer((req, res) =>
      serveLiveStream(req, res, new URL(req.url ?? '/', 'http://gw'), {
        hub,
        connection: {} as RiverConnection,
        nats: { reachable: true } as NatsReachability,
        heartbeatMs: 60_000,
        log: log as never,
      }),
    );
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<{
      status: number | undefined;
      type: string | undefined;
    }>((done, fail) => {
      request(
        { port, host: '127.0.0.1', method: 'HEAD', path: '/api/stream' },
        (res) =>
          done({ status: res.statusCode, type: res.headers['content-type'] }),
      )
        .on('error', fail)
        .setTimeout(2_000, () => fail(new Error('no headers in 2 s')))
        .end();
    });
    expect(answer).toEqual({
      status: 200,
      type: 'text/event-stream; charset=utf-8',
    });
  });
});
