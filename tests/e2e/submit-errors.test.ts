import { ConnectionError, RiverClient } from '@river/sdk/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../helpers/nats-server.js';

describe('a submission whose NATS server is gone', () => {
  let nats: TestNatsServer | undefined;
  let client: RiverClient | undefined;

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await nats?.dispose();
  });

  it('fails with an error that names the file and says no run was submitted', async () => {
    nats = await startNatsServer();
    client = await RiverClient.connect({ servers: nats.url, name: 'test' });
    await nats.stop();

    const submitted = client.submit('tests/fixtures/hello.ts');

    await expect(submitted).rejects.toThrow(ConnectionError);
    await expect(submitted).rejects.toThrow(
      'Could not submit tests/fixtures/hello.ts: NATS failed while storing it',
    );
    await expect(submitted).rejects.toThrow('No run was submitted');
  });
});
