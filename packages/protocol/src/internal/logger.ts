import { type Logger, pino } from 'pino';

/** Creates a service's logger: one JSON line per event, on stdout. */
export function createServiceLogger(service: string, level?: string): Logger {
  return pino({
    base: { service, pid: process.pid },
    level: level ?? process.env.LOG_LEVEL ?? 'info',
  });
}

/** The fields every log line about a task carries. */
export function taskFields(message: {
  runId: string;
  taskId: string;
  attempt?: number;
}): Record<string, unknown> {
  return {
    runId: message.runId,
    taskId: message.taskId,
    ...(message.attempt === undefined ? {} : { attempt: message.attempt }),
  };
}

export type { Logger };
