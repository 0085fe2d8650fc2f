import {
  type NatsCredentials,
  natsCredentialsFromEnv,
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

/** Connects to NATS_URL, which commands reading past runs require. */
export async function connectToExisting(): Promise<RiverClient> {
  const natsUrl = process.env.NATS_URL;
  if (natsUrl === undefined || natsUrl === '') {
    throw new Error(
      'NATS_URL is not set: point it at the NATS server that ran the run ' +
        '(river dev prints it).',
    );
  }
  return RiverClient.connect({
    servers: natsUrl,
    name: 'river-cli',
    credentials: cliCredentials(),
  });
}
