import {
  howItEnded,
  type ServiceName,
  type ServiceProcess,
} from './services.js';
import type { LocalStack } from './stack.js';

/**
 * The waits before each start of a service that keeps exiting, so that a
 * service failing at once (its NATS server gone, say) is not started in
 * a tight loop; after the last, it is left stopped.
 */
const RESTART_DELAYS_MS = [0, 1_000, 2_000, 5_000, 10_000];

/** A service that ran this long since its start counts as healthy again. */
const HEALTHY_MS = 60_000;

/**
 * Watches the services of `stack` and starts again any that exits,
 * telling `report` what happened in a line each time. A service that
 * keeps exiting is started again after growing waits, five times at
 * most, then left stopped. Call the returned function before stopping
 * the stack, so that the services' ends are not taken for crashes.
 */
export function superviseServices(
  stack: LocalStack,
  report: (line: string) => void,
): () => void {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  /** Starts a service again after the wait for its `count`th restart. */
  const startAgain = (name: ServiceName, logFile: string, count: number) => {
    const delay = RESTART_DELAYS_MS[count];
    if (delay === undefined) {
      report(
        `the ${name} was started again ${count} times in a row and ended ` +
          `each time; it is left stopped. Its log: ${logFile}`,
      );
      return;
    }
    later(delay, () => {
      if (stopped) {
        return;
      }
      stack.restart(name).then(
        (fresh) => {
          if (!stopped) {
            report(`the ${name} is running again`);
            watch(fresh, count + 1);
          }
        },
        (error: unknown) => {
          if (stopped) {
            return;
          }
          const reason = (error as Error).message.split('\n')[0];
          report(`the ${name} did not start again: ${reason}`);
          startAgain(name, logFile, count + 1);
        },
      );
    });
  };

  const watch = (service: ServiceProcess, restarts: number) => {
    const startedAt = Date.now();
    service.child.once('exit', (code, signal) => {
      if (stopped) {
        return;
      }
      const how = howItEnded(code, signal);
      const count = Date.now() - startedAt >= HEALTHY_MS ? 0 : restarts;
      if (count < RESTART_DELAYS_MS.length) {
        report(
          `the ${service.name} exited ${how}; starting it again. ` +
            `Its log: ${service.logFile}`,
        );
      } else {
        report(`the ${service.name} exited ${how}`);
      }
      startAgain(service.name, service.logFile, count);
    });
  };

  for (const service of stack.services) {
    watch(service, 0);
  }
  return () => {
    stopped = true;
    timers.forEach(clearTimeout);
  };
}
