import { connectRiver, setupRiver } from '@river/protocol/internal';
import { cliCredentials } from './context.js';

/** Options of `river setup`. */
export interface SetupCommandOptions {
  /** Copies of each stream and bucket; RIVER_STREAM_REPLICAS else 1. */
  replicas: number | undefined;
  /** Days events and log chunks are kept. */
  retentionDays: number | undefined;
}

/**
 * `river setup`: creates River's streams and buckets on the server at
 * NATS_URL, as the user the environment names (River's `admin` role), so
 * that services whose users may not create them can start. What exists
 * is left as it is. Resolves with the exit code.
 *
 * @throws Error when NATS_URL is not set; NatsAccessError when the user
 *   may not create what is missing.
 */
export async function setupCommand(
  options: SetupCommandOptions,
): Promise<number> {
  const natsUrl = process.env.NATS_URL;
  if (natsUrl === undefined || natsUrl.trim() === '') {
    throw new Error(
      'NATS_URL is not set: point it at the server to set up, and name ' +
        'its admin user with RIVER_NATS_USER and RIVER_NATS_NKEY_SEED_FILE.',
    );
  }
  const connection = await connectRiver({
    servers: natsUrl,
    name: 'river-setup',
    maxReconnectAttempts: 0,
    credentials: cliCredentials(),
    ...(options.replicas === undefined
      ? {}
      : { streamReplicas: { count: options.replicas, setting: '--replicas' } }),
  });
  try {
    const names = await setupRiver(connection, {
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
      ...(options.retentionDays === undefined
        ? {}
        : { retentionDays: options.retentionDays }),
    });
    process.stdout.write(
      `River's streams and buckets exist on ${natsUrl}:\n` +
        names.map((name) => `  ${name}\n`).join(''),
    );
    return 0;
  } finally {
    await connection.nc.close();
  }
}
