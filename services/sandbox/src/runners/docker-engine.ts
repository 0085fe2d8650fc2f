import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CodedError } from '@river/protocol/internal';
import { parseJson, readBody } from './http-body.js';

/** How long one API call may take before the engine counts as hung. */
const API_TIMEOUT_MS = 30_000;

/** Stable codes of {@link DockerEngineError}. */
export const DockerEngineErrorCode = {
  unreachable: 'DOCKER_UNREACHABLE',
  refused: 'DOCKER_REFUSED',
} as const;

/** One of {@link DockerEngineErrorCode}'s values. */
export type DockerEngineErrorCode =
  (typeof DockerEngineErrorCode)[keyof typeof DockerEngineErrorCode];

/**
 * A call to the Docker engine failed: it could not be reached, or it
 * answered with an error status.
 */
export class DockerEngineError extends CodedError<DockerEngineErrorCode> {
  /** The call, such as `POST /containers/create`. */
  readonly call: string;
  /** The engine's HTTP status; undefined when it never answered. */
  readonly status: number | undefined;

  constructor(
    code: DockerEngineErrorCode,
    call: string,
    status: number | undefined,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause);
    this.call = call;
    this.status = status;
  }
}

/** An engine's answer: its status and its body parsed as JSON. */
export interface EngineAnswer {
  status: number;
  body: unknown;
}

/**
 * A client of the Docker engine's HTTP API over its unix socket. It uses
 * unversioned paths, so it speaks whatever API version the engine serves;
 * every call it makes exists unchanged from API 1.41 (engine 20.10) on.
 */
export class DockerEngine {
  /** The engine's address as configured, `unix:///path/to/docker.sock`. */
  readonly host: string;
  /** The path of the engine's socket. */
  readonly socketPath: string;

  /** @throws Error when `host` is not a `unix://` address. */
  constructor(host: string) {
    if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
      throw new Error(
        `Docker host "${host}" is not a unix socket address; use ` +
          'unix:///path/to/docker.sock (the engine must run on the ' +
          "sandbox's host, which shares the workspace with it).",
      );
    }
    this.host = host;
    this.socketPath = host.slice('unix://'.length);
  }

  /**
   * Makes one API call with an optional JSON body. It fails when the
   * engine does not answer within `timeoutMs` (0: never), 30 s unless
   * said.
   *
   * @throws DockerEngineError when the engine cannot be reached or
   *   answers with a status of 400 or more.
   */
  async call(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMs?: number } = {},
  ): Promise<EngineAnswer> {
    const call = `${method} ${path.split('?')[0]}`;
    const timeoutMs = options.timeoutMs ?? API_TIMEOUT_MS;
    const response = await this.#send(method, path, body, call, timeoutMs);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    const parsed = parseJson(text);
    if (status >= 400) {
      throw new DockerEngineError(
        DockerEngineErrorCode.refused,
        call,
        status,
        `The Docker engine at ${this.host} refused ${call} with ` +
          `${status}: ${messageOf(parsed, text)}`,
      );
    }
    return { status, body: parsed };
  }

  /**
   * Attaches to a container's stdout and stderr before it starts; the
   * socket then carries the engine's multiplexed stream until the
   * container's output closes.
   *
   * @throws DockerEngineError when the engine refuses or cannot be reached.
   */
  attach(id: string): Promise<Socket> {
    const path =
      `/containers/${encodeURIComponent(id)}/attach` +
      '?stream=1&stdout=1&stderr=1';
    const call = 'POST /containers/{id}/attach';
    return new Promise((resolve, reject) => {
      const request = httpRequest({
        socketPath: this.socketPath,
        method: 'POST',
        path,
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      request.once('upgrade', (_response, socket, head) => {
        if (head.length > 0) {
          socket.unshift(head);
        }
        resolve(socket);
      });
      request.once('response', (response: IncomingMessage) => {
        void readBody(response).then((text) =>
          reject(
            new DockerEngineError(
              DockerEngineErrorCode.refused,
              call,
              response.statusCode,
              `The Docker engine at ${this.host} refused ${call} with ` +
                `${response.statusCode}: ${messageOf(parseJson(text), text)}`,
            ),
          ),
        );
      });
      request.once('error', (error) => reject(this.#unreachable(call, error)));
      request.end();
    });
  }

  #send(
    method: string,
    path: string,
    body: unknown,
    call: string,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    const payload =
      body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const request = httpRequest({
        socketPath: this.socketPath,
        method,
        path,
        headers:
          payload === undefined
            ? {}
            : {
                'Content-Type': 'application/json',
                'Content-Length': payload.length,
              },
      });
      if (timeoutMs > 0) {
        request.setTimeout(timeoutMs, () =>
          request.destroy(new Error(`no answer within ${timeoutMs} ms`)),
        );
      }
      request.once('response', resolve);
      request.once('error', (error) => reject(this.#unreachable(call, error)));
      request.end(payload);
    });
  }

  #unreachable(call: string, error: Error): DockerEngineError {
    return new DockerEngineError(
      DockerEngineErrorCode.unreachable,
      call,
      undefined,
      `The Docker engine at ${this.host} (RIVER_DOCKER_HOST) could not ` +
        `be reached for ${call}: ${error.message}.`,
      error,
    );
  }
}

/** The engine's own error sentence, or the raw text it sent. */
function messageOf(parsed: unknown, text: string): string {
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'message' in parsed &&
    typeof parsed.message === 'string'
  ) {
    return parsed.message;
  }
  return text.trim() || 'no message';
}
