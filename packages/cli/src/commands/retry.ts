import { connectExisting } from './context.js';
import { type FollowOptions, followNewRun } from './run.js';

/** Options of `river retry`. */
export interface RetryCommandOptions extends FollowOptions {
  /** Run the retry untrusted in this cache scope; else as the run was. */
  untrustedScope?: string | undefined;
}

/**
 * `river retry <runId>`: submits the run again (its bundle, file, sources
 * and parameters, read from the server), reusing each task that succeeded
 * in it with the same spec, and follows the new run as `river run` does.
 * Resolves with 0 when the new run succeeded, 1 otherwise.
 */
export function retryCommand(
  runId: string,
  options: RetryCommandOptions,
): Promise<number> {
  const { untrustedScope } = options;
  return followNewRun(options, connectExisting, {
    what: `the retry of run ${runId}`,
    submit: (client) =>
      client.retryAndWatch(
        runId,
        untrustedScope === undefined ? {} : { untrustedScope },
      ),
  });
}
