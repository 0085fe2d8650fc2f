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
