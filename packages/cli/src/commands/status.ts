import { readFleetStatus } from '../fleet/fleet-status.js';
import { fleetStatusText } from '../fleet/status-text.js';
import { withRiverConnection } from './context.js';

/**
 * `river status`: each pool's waiting tasks, queues and sandboxes, from
 * what the dispatching scheduler and the sandboxes last announced.
 * Resolves with the exit code.
 */
export function statusCommand(options: { json: boolean }): Promise<number> {
  return withRiverConnection(
    'the NATS server of the River to show (river dev prints it)',
    async (connection) => {
      const status = await readFleetStatus(connection);
      process.stdout.write(
        options.json ? `${JSON.stringify(status)}\n` : fleetStatusText(status),
      );
      return 0;
    },
  );
}
