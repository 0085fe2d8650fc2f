import { readFile } from 'node:fs/promises';
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CodedError } from '@river/protocol/internal';
import { parseJson, readBody } from './http-body.js';

/** How long one API call may take before the server counts as hung. */
const API_TIMEOUT_MS = 30_000;

/** Stable codes of {@link KubernetesApiError}. */
export const KubernetesApiErrorCode = {
  unreachable: 'KUBERNETES_UNREACHABLE',
  refused: 'KUBERNETES_REFUSED',
  noToken: 'KUBERNETES_NO_TOKEN',
} as const;

/** One of {@link KubernetesApiErrorCode}'s values. */
export type KubernetesApiErrorCode =
  (typeof KubernetesApiErrorCode)[keyof typeof KubernetesApiErrorCode];

/**
 * A call to the Kubernetes API server failed: it could not be reached,
 * its token could not be read, or it answered with an error status.
 */
export class KubernetesApiError extends CodedError<KubernetesApiErrorCode> {
  /** The call, such as `POST /apis/batch/v1/namespaces/river/jobs`. */
  readonly call: string;
  /** The server's HTTP status; undefined when it never answered. */
  readonly status: number | undefined;
  /** The `reason` of the server's Status answer, such as `AlreadyExists`. */
  readonly reason: string | undefined;

  constructor(
    code: KubernetesApiErrorCode,
    fields: { call: string; status?: number; reason?: string },
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause);
    this.call = fields.call;
    this.status = fields.status;
    this.reason = fields.reason;
  }
}

/** An answer of the API server: its status and its body parsed as JSON. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Where the API server is and how the sandbox proves who it is. */
export interface KubernetesApiOptions {
  /** The server's base URL, `https://host:port` (a path prefix is kept). */
  url: string;
  /** A file holding the bearer token; none is sent when undefined. */
  tokenFile?: string;
  /** PEM CA certificates the server's certificate must chain to. */
  ca?: Buffer;
}

/**
 * A small client of the Kubernetes API over HTTP(S), for the few calls
 * the kubernetes runner makes; plain JSON in and out, no client library.
 * The token is read from its file for every call, because a projected
 * service account token is rotated by the kubelet while the sandbox runs.
 */
export class KubernetesApi {
  /** The server's base URL as configured. */
  readonly url: string;
  readonly #base: URL;
  readonly #tokenFile: string | undefined;
  readonly #ca: Buffer | undefined;

  /** @throws Error when `url` is not an http:// or https:// URL. */
  constructor(options: KubernetesApiOptions) {
    const base = new URL(options.url);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new Error(
        `Kubernetes API server "${options.url}" is not an http:// or ` +
          'https:// URL.',
      );
    }
    this.url = options.url;
    this.#base = base;
    this.#tokenFile = options.tokenFile;
    this.#ca = options.ca;
  }

  /**
   * Makes one API call with an optional JSON body, failing when the
   * server does not answer within 30 s.
   *
   * @throws KubernetesApiError when the server cannot be reached or
   *   answers with a status of 400 or more.
   */
  async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const response = await this.#send(method, path, body, API_TIMEOUT_MS);
    const text = await readBody(response);
    return { status: response.statusCode ?? 0, body: parseJson(text) };
  }

  /**
   * Opens a call whose answer is read as a stream, such as a followed
   * log; it has no time limit, since a quiet task sends nothing for long.
   * Destroy the answer to end it early.
   *
   * @throws KubernetesApiError when the server cannot be reached or
   *   answers with a status of 400 or more.
   */
  stream(path: string): Promise<IncomingMessage> {
    return this.#send('GET', path, undefined, 0);
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    const call = `${method} ${path.split('?')[0]}`;
    const headers: Record<string, string | number> = {
      Accept: 'application/json',
    };
    const token = await this.#token(call);
    if (token !== undefined) {
      headers.Authorization = `Bearer ${token}`;
    }
    const payload =
      body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = this.#request({
        method,
        path: this.#base.pathname.replace(/\/$/, '') + path,
        headers,
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

    const status = response.statusCode ?? 0;
    if (status >= 400) {
      const parsed = parseJson(await readBody(response));
      throw new KubernetesApiError(
        KubernetesApiErrorCode.refused,
        { call, status, ...reasonOf(parsed) },
        `The Kubernetes API server at ${this.url} refused ${call} with ` +
          `${status}: ${messageOf(parsed)}`,
      );
    }
    return response;
  }

  #request(options: RequestOptions): ClientRequest {
    const target = {
      ...options,
      hostname: this.#base.hostname.replace(/^\[|\]$/g, ''),
      port: this.#base.port,
    };
    return this.#base.protocol === 'https:'
      ? httpsRequest({ ...target, ...(this.#ca ? { ca: this.#ca } : {}) })
      : httpRequest(target);
  }

  async #token(call: string): Promise<string | undefined> {
    if (this.#tokenFile === undefined) {
      return undefined;
    }
    try {
      return (await readFile(this.#tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new KubernetesApiError(
        KubernetesApiErrorCode.noToken,
        { call },
        `The token for ${call} could not be read from ` +
          `${this.#tokenFile} (RIVER_K8S_TOKEN_FILE): ${messageText(error)}.`,
        error,
      );
    }
  }

  #unreachable(call: string, error: Error): KubernetesApiError {
    return new KubernetesApiError(
      KubernetesApiErrorCode.unreachable,
      { call },
      `The Kubernetes API server at ${this.url} (RIVER_K8S_API) could not ` +
        `be reached for ${call}: ${error.message}.`,
      error,
    );
  }
}

/** The `reason` of a Kubernetes Status answer, when there is one. */
function reasonOf(parsed: unknown): { reason?: string } {
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'reason' in parsed &&
    typeof parsed.reason === 'string'
  ) {
    return { reason: parsed.reason };
  }
  return {};
}

/** The server's own sentence from its Status answer, or its raw text. */
function messageOf(parsed: unknown): string {
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'message' in parsed &&
    typeof parsed.message === 'string'
  ) {
    return parsed.message;
  }
  const text = typeof parsed === 'string' ? parsed.trim() : '';
  return text === '' ? 'no message' : text;
}

function messageText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
