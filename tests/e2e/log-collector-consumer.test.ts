import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy } from '@nats-io/jetstream';
import { type ServiceProcess, startServiceProcess } from '@river/cli';
import { Consumers, Streams, Subjects } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../helpers/nats-server.js';
import { TEST_SERVICE_ENV } from '../helpers/river.js';

describe("the log-collector's consumer", () => {
  let nats: TestNatsServer;
  let connection: RiverConnection;
  let collector: ServiceProcess | undefined;
  let logDir: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await connectRiver({ servers: nats.url, name: 'test' });
    logDir = await mkdtemp(join(tmpdir(), 'river-lc-consumer-'));
  });

  afterAll(async () => {
    await collector?.stop();
    await connection?.nc.close();
    await nats?.dispose();
    await rm(logDir, { recursive: true, force: true });
  });

  it('reads the logs stream unfiltered, even where it was made filtered', async () => {
    // Older versions filtered on every log chunk subject, which costs
    // nats-server 2.9 more per message as the stream grows.
    await connection.jsm.consumers.add(Streams.logs, {
      durable_name: Consumers.logCollector,
      ack_policy: AckPolicy.Explicit,
      filter_subject: Subjects.allLogChunks,
      max_ack_pending: 1,
    });

    collector = await startServiceProcess(
      'log-collector',
      { ...TEST_SERVICE_ENV, NATS_URL: nats.url },
      logDir,
    );
    const info = await connection.jsm.consumers.info(
      Streams.logs,
      Consumers.logCollector,
    );

    expect(info.config.filter_subject ?? '').toBe('');
    expect(info.config.max_ack_pending).toBe(1);
  });
});
