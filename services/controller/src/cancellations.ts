import { encode, SCHEMA_VERSION } from '@river/protocol';
import { openCancels, type RiverConnection } from '@river/protocol/internal';

/**
 * Records a cancellation in the `river-cancels` bucket under `key`: a run
 * id cancels every task of the run, `<runId>.<taskId>` one task. Sandboxes
 * kill the running attempts it names and report queued ones as cancelled
 * without starting them.
 */
export async function recordCancellation(
  connection: RiverConnection,
  key: string,
  runId: string,
  reason: string,
): Promise<void> {
  const cancels = await openCancels(connection);
  await cancels.put(
    key,
    encode('cancellation', {
      schema: SCHEMA_VERSION,
      runId,
      reason,
      requestedAt: Date.now(),
    }),
  );
}
