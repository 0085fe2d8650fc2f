import type { FileRef, HostTaskRequest, HostTaskResult } from '@river/protocol';

/** What the controller tells a run's job worker. */
export type ToWorker =
  | {
      type: 'start-job';
      runId: string;
      job: string;
      upstream: Record<string, unknown>;
      sources: FileRef[];
    }
  | { type: 'task-result'; requestId: number; result: HostTaskResult };

/** What a run's job worker tells the controller. */
export type FromWorker =
  | {
      type: 'loaded';
      project: {
        name: string;
        jobs: { name: string; needs: string[] }[];
      };
    }
  | { type: 'load-failed'; message: string }
  | {
      type: 'task';
      job: string;
      requestId: number;
      request: HostTaskRequest;
    }
  | { type: 'log'; job: string; message: string }
  | { type: 'job-succeeded'; job: string; value: unknown }
  | { type: 'job-failed'; job: string; message: string };

/** What the worker is started with. */
export interface WorkerData {
  code: string;
  file: string;
}
