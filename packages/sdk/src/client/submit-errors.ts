import { Subjects } from '@river/protocol';
import { RiverError } from '../authoring/errors.js';
import { ConnectionError } from './errors.js';

/**
 * The NATS client's errors for a request that got no answer, as opposed
 * to one the server refused: after them a publish may have been stored.
 */
const UNANSWERED = new Set([
  'TimeoutError',
  'RequestError',
  'ConnectionError',
  'ClosedConnectionError',
  'DrainingConnectionError',
]);

/** An error's message, or the value as text. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a step of a submission that talks to NATS, turning its failure
 * into a ConnectionError that says no run was submitted; River's own
 * errors (a missing source, say) pass as they are.
 */
export async function storing<T>(
  file: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof RiverError) {
      throw error;
    }
    throw new ConnectionError(
      `Could not submit ${file}: NATS failed while storing it ` +
        `(${reasonOf(error)}). No run was submitted; check the NATS ` +
        'server and submit again.',
      error,
    );
  }
}

/**
 * What to throw when publishing the submission of `file` as `runId`
 * failed: no stream takes it (River is not set up there), the server
 * refused it (passed on, for {@link storing} to word), or no answer came,
 * so the run may or may not exist.
 */
export function publishFailure(
  error: unknown,
  file: string,
  runId: string,
): unknown {
  const name = (error as Error).name;
  if (name === 'JetStreamNotEnabled') {
    return new ConnectionError(
      `Could not submit ${file}: no stream on the NATS server takes ` +
        `${Subjects.submit}, so River is not set up there. Run ` +
        '`river setup` (or start a controller, or `river dev`) first. ' +
        'No run was submitted.',
      error,
    );
  }
  if (!UNANSWERED.has(name)) {
    return error;
  }
  // The server may have stored the submission and lost only its
  // acknowledgement: the run may exist.
  return new ConnectionError(
    `Could not confirm the submission of ${file} as run ${runId}: ` +
      `${reasonOf(error)}. The run may or may not have started; look for ` +
      `it with: river watch ${runId}`,
    error,
  );
}
