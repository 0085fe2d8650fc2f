import {
  Buckets,
  CacheScope,
  type RunSubmission,
  SCHEMA_VERSION,
} from '@river/protocol';
import {
  hasObjectWriteOnly,
  holdsContent,
  type RiverConnection,
} from '@river/protocol/internal';
import { Compile } from '@river/protocol/typebox';
import { RiverError, RiverErrorCode } from '../authoring/errors.js';
import { ConnectionError, RetryError } from './errors.js';
import { newRunId } from './run-id.js';
import { runEventsOfType } from './stored-events.js';

/** Checks an untrusted run's cache scope as the protocol defines it. */
const cacheScope = Compile(CacheScope);

/**
 * Refuses an untrusted scope that is not a scope name.
 *
 * @throws RiverError (code INVALID_ARGUMENT) naming the scope.
 */
export function checkUntrustedScope(scope: string | undefined): void {
  if (scope !== undefined && !cacheScope.Check(scope)) {
    throw new RiverError(
      RiverErrorCode.invalidArgument,
      `'${scope}' is not a cache scope: use 1 to 64 letters, digits, ` +
        "'-' and '_', such as pr-1234.",
    );
  }
}

/** A run submitted to retry another, by {@link RiverClient.retry}. */
export interface RetriedRun {
  runId: string;
  /** The run it retries. */
  retryOf: string;
  /** The project file as the retried run's submitter named it. */
  file: string;
  /** Digest of the bundled project module, the retried run's. */
  bundleDigest: string;
}

/** Options of {@link RiverClient.retry}. */
export interface RetryOptions {
  /**
   * Run the retry untrusted, in this cache scope; unset, it keeps the
   * retried run's scope (or lack of one).
   */
  untrustedScope?: string;
}

/**
 * A new run's submission that retries run `runId`: the same bundle, file,
 * sources and parameters, read from the retried run's `run.submitted`,
 * with `retryOf` set, so that the tasks that succeeded there with the same
 * spec are reused. Checks that the bundle and every source file are still
 * on the server.
 *
 * @throws RetryError (code NOT_FOUND) when the run has no `run.submitted`
 *   on the server, or its bundle or a source file is gone;
 *   (code INVALID_ARGUMENT) when it has not finished, or was submitted by
 *   a River that did not record its sources; RiverError (code INVALID_ARGUMENT) for a wrong
 *   `untrustedScope`; ConnectionError when NATS fails meanwhile.
 */
export async function retrySubmission(
  connection: RiverConnection,
  runId: string,
  options: RetryOptions = {},
): Promise<RunSubmission> {
  checkUntrustedScope(options.untrustedScope);
  try {
    return await readRetried(connection, runId, options);
  } catch (error) {
    if (error instanceof RiverError) {
      throw error;
    }
    throw new ConnectionError(
      `Could not read run ${runId} to retry it: ${(error as Error).message}. ` +
        'No run was submitted.',
      error,
    );
  }
}

async function readRetried(
  connection: RiverConnection,
  runId: string,
  options: RetryOptions,
): Promise<RunSubmission> {
  const [submitted] = await runEventsOfType(connection, runId, 'run.submitted');
  if (submitted === undefined) {
    throw new RetryError(
      RiverErrorCode.notFound,
      runId,
      `Run ${runId} has no run.submitted event on this server, so there ` +
        'is nothing to retry: check the run id and NATS_URL.',
    );
  }
  const { sources, file, bundleDigest } = submitted;
  if (sources === undefined) {
    throw new RetryError(
      RiverErrorCode.invalidArgument,
      runId,
      `Run ${runId} was submitted by an older River, which did not record ` +
        `its source files: submit ${file} again with river run.`,
    );
  }
  if (!(await hasObjectWriteOnly(connection, Buckets.bundles, bundleDigest))) {
    throw new RetryError(
      RiverErrorCode.notFound,
      runId,
      `The bundle of run ${runId} (${bundleDigest}) is no longer in ` +
        `${Buckets.bundles}: submit ${file} again with river run.`,
    );
  }
  const artifacts = await connection.objm.open(Buckets.artifacts);
  for (const source of sources) {
    const info = await artifacts.info(source.digest);
    if (!holdsContent(info, source.digest, source.size)) {
      throw new RetryError(
        RiverErrorCode.notFound,
        runId,
        `Source ${source.path} of run ${runId} is no longer in ` +
          `${Buckets.artifacts}: submit ${file} again with river run.`,
      );
    }
  }

  const [finished] = await runEventsOfType(connection, runId, 'run.finished');
  if (finished === undefined) {
    // Its tasks would run twice at once, and its failures are not known.
    throw new RetryError(
      RiverErrorCode.invalidArgument,
      runId,
      `Run ${runId} has not finished, so there is nothing to retry yet: ` +
        `wait for it (river watch ${runId}) or cancel it (river cancel ` +
        `${runId}) first.`,
    );
  }
  const untrustedScope = options.untrustedScope ?? submitted.untrustedScope;
  return {
    schema: SCHEMA_VERSION,
    runId: newRunId(),
    bundleDigest,
    file,
    submittedAt: Date.now(),
    sources,
    ...(submitted.params === undefined ? {} : { params: submitted.params }),
    retryOf: runId,
    ...(untrustedScope === undefined ? {} : { untrustedScope }),
    ...(submitted.priority === undefined
      ? {}
      : { priority: submitted.priority }),
  };
}

/** What {@link RiverClient.retry} resolves with, for a submission. */
export function retriedRun(submission: RunSubmission): RetriedRun {
  return {
    runId: submission.runId,
    retryOf: submission.retryOf ?? '',
    file: submission.file,
    bundleDigest: submission.bundleDigest,
  };
}
