import type { FleetStatus, QueueStatus } from './fleet-status.js';

/** A pool summary older than this is marked stale: no dispatcher runs. */
const STALE_MS = 5_000;

function labelsText(labels: readonly string[]): string {
  return labels.length === 0 ? '(no labels)' : labels.join(',');
}

function queueLine(queue: QueueStatus): string {
  const depth = queue.depth === undefined ? '?' : String(queue.depth);
  return (
    `  queue ${labelsText(queue.labels)}: ${queue.sandboxes} sandbox` +
    `${queue.sandboxes === 1 ? '' : 'es'}, ${queue.busy}/${queue.slots} ` +
    `slots in use, ${depth} queued, ${queue.dispatched} dispatched`
  );
}

/**
 * `river status` as text: per pool the tasks waiting in the scheduler
 * (and why), each queue's sandboxes, slots in use and depth; then every
 * live sandbox.
 */
export function fleetStatusText(status: FleetStatus): string {
  const lines: string[] = [];
  if (status.pools.length === 0) {
    lines.push(
      'No pool summary: no scheduler is dispatching, or none has run yet.',
    );
  }
  for (const pool of status.pools) {
    const why = [
      pool.unplaceable > 0 ? `${pool.unplaceable} for a sandbox` : '',
      pool.limited > 0 ? `${pool.limited} for a concurrency limit` : '',
    ].filter((part) => part !== '');
    const stale =
      pool.ageMs > STALE_MS
        ? ` (as of ${Math.round(pool.ageMs / 1000)} s ago: no dispatcher now)`
        : '';
    lines.push(
      `pool ${pool.pool}: ${pool.waiting} waiting` +
        (why.length === 0 ? '' : ` (${why.join(', ')})`) +
        stale,
    );
    lines.push(...pool.queues.map(queueLine));
  }
  lines.push('', `sandboxes: ${status.sandboxes.length}`);
  for (const sandbox of status.sandboxes) {
    lines.push(
      `  ${sandbox.sandboxId}  pool ${sandbox.pool}  ` +
        `${labelsText(sandbox.labels)}  ${sandbox.busy}/${sandbox.slots} busy` +
        (sandbox.draining ? '  draining' : ''),
    );
  }
  return `${lines.join('\n')}\n`;
}
