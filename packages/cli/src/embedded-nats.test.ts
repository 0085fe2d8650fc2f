import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startEmbeddedNats } from './embedded-nats.js';

describe('the embedded nats-server', () => {
  it('is disposed of, store and credentials removed, after it was killed', async () => {
    const nats = await startEmbeddedNats();
    const dirs = [nats.storeDir, nats.rights?.dir as string];
    const pid = nats.pid() as number;
    const gone = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        try {
          process.kill(pid, 0);
        } catch {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    process.kill(pid, 'SIGKILL');
    await gone;
    // Let Node see the exit before dispose() looks at the process.
    await new Promise((resolve) => setTimeout(resolve, 200));

    await nats.dispose();

    for (const dir of dirs) {
      await expect(access(dir)).rejects.toThrow(/ENOENT/);
    }
  });
});
