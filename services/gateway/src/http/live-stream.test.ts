import {
  createServer,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
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

  it('sends a slow reader only the latest NATS state once it drains, not a queue', async () => {
    const hub = {
      latestSeq: 0,
      after: () => [],
      next: () => new Promise<boolean>(() => {}),
    } as unknown as EventHub;
    let notify: (reachable: boolean) => void = () => {};
    const nats = {
      reachable: true,
      onChange: (listener: (reachable: boolean) => void) => {
        notify = listener;
        return () => {};
      },
    } as unknown as NatsReachability;
    let response: ServerResponse | undefined;
    server = createServer((req, res) => {
      response = res;
      serveLiveStream(req, res, new URL(req.url ?? '/', 'http://gw'), {
        hub,
        connection: {} as RiverConnection,
        nats,
        heartbeatMs: 60_000,
        log: { info: () => {}, warn: () => {} } as never,
      });
    });
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;

    // A reader that stops reading: the server's socket fills up.
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /api/stream HTTP/1.1\r\nHost: gw\r\n\r\n');
    await expect.poll(() => response !== undefined).toBe(true);
    socket.pause();
    const res = response as ServerResponse;
    const filler = `: ${'x'.repeat(64 * 1024)}\n\n`;
    while (!res.writableNeedDrain) {
      res.write(filler);
    }
    for (let flap = 0; flap <= 30; flap++) {
      notify(flap % 2 === 1);
    }
    expect(res.listenerCount('drain')).toBeLessThanOrEqual(1);

    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.resume();
    const sent = () =>
      [...text.matchAll(/event: nats\ndata: (.*)\n/g)].map((m) => m[1]);
    await expect.poll(() => sent().length).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The state as the stream opened, then the last of the 31 changes.
    expect(sent()).toEqual(['{"reachable":true}', '{"reachable":false}']);
    socket.destroy();
  });
});
