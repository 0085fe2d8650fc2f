import type { TaskCacheExplanation } from '@river/sdk/client';
import { isoSecond, originText, outcomeText, shortKey } from '../format.js';

/**
 * What `river why` prints about a task: whether it was a cache hit (and
 * whose result it reused), a miss (and why), waits for an identical
 * task, or did not use the cache.
 */
export function explanationLines(why: TaskCacheExplanation): string[] {
  const task =
    why.name === why.taskId ? why.taskId : `${why.taskId} (${why.name})`;
  const subject = `Task ${task} of run ${why.runId}`;
  const key = why.events.at(-1)?.key;
  const keyed = key === undefined ? '' : ` (key ${shortKey(key)})`;
  const waited = why.waited ? ', after waiting for an identical task' : '';
  switch (why.verdict) {
    case 'hit': {
      const from = why.from;
      const source =
        from === undefined
          ? 'a recorded result'
          : `the result of run ${originText(from, why.taskId)}, attempt ` +
            `${from.attempt}, finished ${isoSecond(from.finishedAt)}`;
      return [
        `${subject} was a cache hit${keyed}${waited}: it reused ${source}.`,
      ];
    }
    case 'miss': {
      const head = `${subject} was a cache miss${keyed}${waited}, so it ran`;
      if (why.changes.length === 0) {
        return [`${head}.`];
      }
      return [`${head}. Why:`, ...why.changes.map((change) => `  ${change}`)];
    }
    case 'wait': {
      const holder = why.changes[0] ?? 'an identical task runs now';
      if (why.finished === undefined) {
        return [
          `${subject} waits for an identical task${keyed}: ${holder}; it ` +
            'reuses that result once recorded, or runs if that task fails.',
        ];
      }
      return [
        `${subject} waited for an identical task${keyed} (${holder}) and ` +
          `ended ${outcomeText(why.finished)}.`,
      ];
    }
    case 'unused':
      return [
        `${subject} did not use the cache: caching is off for it (no ` +
          'cache setting of the task, its job or its project turns it on), ' +
          'and no retried run offered its result.',
      ];
    default:
      return [
        `${subject} has no cache lookup yet: it has not finished, and ` +
          'either no scheduler has taken it or it does not use the cache.',
      ];
  }
}
