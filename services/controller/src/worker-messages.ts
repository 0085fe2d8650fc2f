import type { HostTaskResult, ParamSpec } from '@river/protocol';
import type {
  JobOutline,
  JobStart,
  RealmMessage,
} from '@river/protocol/internal';

/** What the controller tells a run's job worker. */
export type ToWorker =
  | ({ type: 'start-job' } & JobStart)
  | {
      type: 'task-result';
      requestId: number;
      result: HostTaskResult;
      /** When the result was recorded; job logic's clock moves to it. */
      now: number;
    }
  | { type: 'task-refused'; requestId: number; message: string }
  | { type: 'ping' }
  /** Answered with `synced` once everything sent before it is handled. */
  | { type: 'sync'; token: number };

/** What a run's job worker tells the controller. */
export type FromWorker =
  | {
      type: 'loaded';
      project: {
        name: string;
        params: ParamSpec[];
        jobs: JobOutline[];
        /** The project's cache setting as the bundle gave it, unchecked. */
        cache?: unknown;
      };
    }
  | { type: 'load-failed'; message: string }
  | { type: 'pong' }
  | { type: 'synced'; token: number }
  | RealmMessage;

/** What the worker is started with. */
export interface WorkerData {
  code: string;
  file: string;
  /** Seeds job logic's `Math.random`; the run id, so replays agree. */
  seed: string;
}

/**
 * The first line the controller writes to a job logic process: the
 * worker's data, and the run's memory limit, which errors about it name.
 */
export interface WorkerInit extends WorkerData {
  memoryLimitMb: number;
}

/**
 * The longest line a job logic process may send the controller: a job
 * value or a task request bigger than this could not travel on anyway.
 */
export const MAX_WORKER_MESSAGE_BYTES = 8 * 1024 * 1024;
