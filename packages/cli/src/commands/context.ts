import { RiverClient } from '@river/sdk/client';
import { type LocalStack, startLocalStack } from '../stack.js';

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
  if (natsUrl === undefined || natsUrl === '') {
    announce('NATS_URL is not set: starting an embedded River on loopback…');
    stack = await startLocalStack();
    announce(`Embedded River is up at ${stack.natsUrl}`);
  }
  try {
    const client = await RiverClient.connect({
      servers: stack?.natsUrl ?? (natsUrl as string),
      name: 'river-cli',
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
  return RiverClient.connect({ servers: natsUrl, name: 'river-cli' });
}
