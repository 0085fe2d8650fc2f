import {
  connectRiver,
  type NatsCredentials,
  natsCredentialsFromEnv,
  type RiverConnection,
} from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { type LocalStack, startLocalStack } from '../stack.js';

/**
 * The credentials the CLI connects with: the `sdk` user of the embedded
 * River it started, else those the environment names (RIVER_NATS_USER
 * with RIVER_NATS_NKEY_SEED_FILE, RIVER_NATS_PASSWORD or RIVER_NATS_CREDS).
 *
 * @throws SettingsError when the environment's credentials are incomplete.
 */
export function cliCredentials(
  stack?: LocalStack,
): NatsCredentials | undefined {
  const env = stack?.embedded?.rights?.env('sdk');
  if (env !== undefined) {
    return {
      user: 'sdk',
      nkeySeedFile: env.RIVER_NATS_NKEY_SEED_FILE as string,
    };
  }
  return natsCredentialsFromEnv(process.env);
}

/** A client, and the stack started for it when NATS_URL was not set. */
export interface CliConnection {
  client: RiverClient;
  stack: LocalStack | undefined;
  close(): Promise<void>;
}

/**
 * Connects to NATS_URL, or starts the embedded default (nats-server and
 * the four services) when NATS_URL is not set.
 */
export async function connectOrStart(
  announce: (line: string) => void,
): Promise<CliConnection> {
  const natsUrl = process.env.NATS_URL;
  let stack: LocalStack | undefined;
  // Checked first, so that incomplete credentials start nothing.
  const credentials = cliCredentials();
  if (natsUrl === undefined || natsUrl === '') {
    announce('NATS_URL is not set: starting an embedded River on loopback…');
    stack = await startLocalStack();
    announce(`Embedded River is up at ${stack.natsUrl}`);
  }
  try {
    const client = await RiverClient.connect({
      servers: stack?.natsUrl ?? (natsUrl as string),
      name: 'river-cli',
      credentials: stack === undefined ? credentials : cliCredentials(stack),
    });
    return {
      client,
      stack,
      async close() {
        await client.close().catch(() => undefined);
        await stack?.stop();
      },
    };
  } catch (error) {
    await stack?.stop();
    throw error;
  }
}

/** About 5 s of reconnecting before a command on River's buckets gives up. */
const BUCKET_RECONNECT_ATTEMPTS = 20;

/**
 * NATS_URL, which commands on what a River holds require.
 *
 * @throws Error saying what to set, with `hint` on which server it is.
 */
export function existingNatsUrl(
  hint = 'the NATS server that ran the run (river dev prints it)',
): string {
  const natsUrl = process.env.NATS_URL;
  if (natsUrl === undefined || natsUrl.trim() === '') {
    throw new Error(`NATS_URL is not set: point it at ${hint}.`);
  }
  return natsUrl;
}

/** Connects to NATS_URL, which commands reading past runs require. */
export async function connectToExisting(): Promise<RiverClient> {
  return RiverClient.connect({
    servers: existingNatsUrl(),
    name: 'river-cli',
    credentials: cliCredentials(),
  });
}

/**
 * Connects to NATS_URL as {@link connectOrStart} does, but never starts
 * an embedded River: for commands about runs that one would not hold.
 */
export async function connectExisting(): Promise<CliConnection> {
  const client = await connectToExisting();
  return {
    client,
    stack: undefined,
    close: () => client.close().catch(() => undefined),
  };
}

/**
 * Runs `action` on a connection to NATS_URL (see {@link existingNatsUrl}
 * for `hint`) as the user the environment names, for commands that work
 * on River's buckets themselves; closes it after.
 */
export async function withRiverConnection<T>(
  hint: string,
  action: (connection: RiverConnection) => Promise<T>,
): Promise<T> {
  const connection = await connectRiver({
    servers: existingNatsUrl(hint),
    name: 'river-cli',
    maxReconnectAttempts: BUCKET_RECONNECT_ATTEMPTS,
    credentials: cliCredentials(),
  });
  try {
    return await action(connection);
  } finally {
    await connection.nc.close();
  }
}
