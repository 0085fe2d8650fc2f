import type { FinalStatus } from '@river/protocol';
import { RiverError, RiverErrorCode } from '../authoring/errors.js';

const FINAL_STATUSES: readonly FinalStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
];

/**
 * Checks the options of `watch` and `events` before anything is read, so
 * that a wrong value is an error rather than a wait that never ends.
 *
 * @throws RiverError (code INVALID_ARGUMENT) naming the option.
 */
export function checkEventOptions(options: {
  afterSeq?: number | undefined;
  since?: Date | number | undefined;
  status?: string | undefined;
}): void {
  const { afterSeq, since, status } = options;
  if (
    afterSeq !== undefined &&
    !(Number.isSafeInteger(afterSeq) && afterSeq >= 0)
  ) {
    throw invalid(
      `afterSeq must be a stream sequence, a whole number 0 or more; it ` +
        `was ${String(afterSeq)}.`,
    );
  }
  if (since !== undefined) {
    const time = since instanceof Date ? since.getTime() : since;
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
      throw invalid(
        `since must be a valid Date or milliseconds since the epoch; it ` +
          `was ${String(since)}.`,
      );
    }
  }
  if (status !== undefined && !FINAL_STATUSES.includes(status as FinalStatus)) {
    throw invalid(
      `status must be one of ${FINAL_STATUSES.join(', ')}; it was ` +
        `${JSON.stringify(status)}.`,
    );
  }
}

function invalid(message: string): RiverError {
  return new RiverError(RiverErrorCode.invalidArgument, message);
}
