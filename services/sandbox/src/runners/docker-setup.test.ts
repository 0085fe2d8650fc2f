import { createServiceLogger } from '@river/protocol/internal';
import { describe, expect, it } from 'vitest';
import { setUpDocker } from './docker-setup.js';

const log = createServiceLogger('sandbox', 'silent');

describe('setting up the docker runner', () => {
  it('offers no runner when no engine is named, rather than a default one', async () => {
    const offer = await setUpDocker({ host: undefined, log });

    expect(offer).toEqual({
      unavailable: 'RIVER_DOCKER_HOST names no Docker engine',
    });
  });

  it('refuses an engine that is not a local unix socket', async () => {
    const offer = await setUpDocker({ host: 'tcp://127.0.0.1:2375', log });

    expect('unavailable' in offer && offer.unavailable).toMatch(
      /Docker host "tcp:\/\/127.0.0.1:2375" is not a unix socket address/,
    );
  });

  it('says which engine does not answer', async () => {
    const host = 'unix:///nonexistent/river-test/docker.sock';
    const offer = await setUpDocker({ host, log });

    expect('unavailable' in offer && offer.unavailable).toMatch(
      /^The Docker engine at unix:\/\/\/nonexistent\/river-test\/docker.sock \(RIVER_DOCKER_HOST\) could not be reached for GET \/version: connect ENOENT/,
    );
  });
});
