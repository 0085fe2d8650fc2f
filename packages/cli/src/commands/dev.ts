import { startLocalStack } from '../stack.js';

/**
 * `river dev`: runs NATS (the one at NATS_URL when it answers, otherwise
 * an embedded one) and the four services until Ctrl-C.
 */
export async function devCommand(options: {
  storeDir: string | undefined;
}): Promise<number> {
  const stack = await startLocalStack({
    natsUrl: process.env.NATS_URL,
    keepLogs: true,
    ...(options.storeDir === undefined ? {} : { storeDir: options.storeDir }),
  });
  const where = stack.embedded
    ? `embedded nats-server (store ${stack.embedded.storeDir})`
    : 'existing NATS server';
  process.stdout.write(
    `River is running on ${where}.\n` +
      `  export NATS_URL=${stack.natsUrl}\n` +
      `  service logs: ${stack.logDir}\n` +
      'Press Ctrl-C to stop.\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('Stopping River…\n');
  await stack.stop();
  process.stdout.write('Stopped.\n');
  return 0;
}
