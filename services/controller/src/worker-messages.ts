import type { HostTaskResult, ParamSpec } from '@river/protocol';
import type {
  JobOutline,
  JobStart,
  RealmMessage,
} from '@river/protocol/internal';

/** What the controller tells a run's job worker. */
export type ToWorker =
  | ({ type: 'start-job' } & JobStart)
  | { type: 'task-result'; requestId: number; result: HostTaskResult }
  | { type: 'task-refused'; requestId: number; message: string }
  | { type: 'ping' };

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
  | RealmMessage;

/** What the worker is started with. */
export interface WorkerData {
  code: string;
  file: string;
}
