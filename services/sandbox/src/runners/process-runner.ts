import { join } from 'node:path';
import { type OutputSink, runProcess } from '../runner.js';
import type { RunnerEnd, RunnerRequest, TaskRunner } from './task-runner.js';

/**
 * Runs each task as a plain child process of the sandbox, in its own
 * process group, in its workspace and with only its declared environment.
 * For development only: the task runs as the sandbox's user, sees the
 * whole file system and the network, and only the timeout and the output
 * limit apply; memory, process, open-file and disk limits do not.
 */
export class ProcessRunner implements TaskRunner {
  readonly kind = 'process';

  run(request: RunnerRequest, sink: OutputSink): Promise<RunnerEnd> {
    return runProcess(
      {
        command: request.command,
        cwd: join(request.workspace, request.cwd),
        env: request.env,
        timeoutMs: request.timeoutMs,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
      sink,
    );
  }
}
