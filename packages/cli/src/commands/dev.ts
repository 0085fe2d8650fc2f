import { CORE_SERVICES } from '../services.js';
import { startLocalStack } from '../stack.js';
import { superviseServices } from '../supervise.js';

/**
 * `river dev`: runs NATS (the one at NATS_URL when it answers, otherwise
 * an embedded one with a user per role), the four services and the web
 * UI's gateway until Ctrl-C, starting again any service that exits.
 */
export async function devCommand(options: {
  storeDir: string | undefined;
}): Promise<number> {
  const stack = await startLocalStack({
    natsUrl: process.env.NATS_URL,
    keepLogs: true,
    services: [...CORE_SERVICES, 'gateway'],
    ...(options.storeDir === undefined ? {} : { storeDir: options.storeDir }),
  });
  const where = stack.embedded
    ? `embedded nats-server (store ${stack.embedded.storeDir})`
    : 'existing NATS server';
  const rights = stack.embedded?.rights;
  const ui = stack.gateway;
  const signIn =
    ui?.operatorToken === undefined ? '' : `#token=${ui.operatorToken}`;
  process.stdout.write(
    `River is running on ${where}.\n` +
      `  export NATS_URL=${stack.natsUrl}\n` +
      `  web UI: ${ui?.url ?? ''}${signIn}\n` +
      (ui?.viewerToken === undefined
        ? ''
        : `  (operator token in the link; a read-only viewer token: ${ui.viewerToken})\n`) +
      `  service logs: ${stack.logDir}\n` +
      (rights === undefined
        ? ''
        : '  each service runs as its own NATS user; connections without ' +
          `credentials get the ${rights.anonymous} role's rights\n` +
          `  credentials of every role: ${rights.dir}\n`) +
      'A service that exits is started again.\n' +
      'Press Ctrl-C to stop.\n',
  );
  const stopSupervising = superviseServices(stack, (line) =>
    process.stderr.write(`river dev: ${line}\n`),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('Stopping River…\n');
  stopSupervising();
  await stack.stop();
  process.stdout.write('Stopped.\n');
  return 0;
}
