import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Whether spans are recorded and exported: only when an OTLP endpoint is
 * set. Without it no SDK is loaded, spans are the API's no-op ones and no
 * header is written or read.
 */
export const tracingEnabled =
  (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '') !== '';

/** A span, as {@link startSpan} returns it. */
export type { Span } from '@opentelemetry/api';

/** The one span handed out without tracing: it records nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

const TRACEPARENT = 'traceparent';
const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Flushes the spans not yet exported; resolves at once without tracing. */
export type TracingShutdown = () => Promise<void>;

/**
 * Starts the OpenTelemetry SDK for a service when tracing is enabled: spans
 * go in batches to `OTEL_EXPORTER_OTLP_ENDPOINT` over OTLP/HTTP (JSON),
 * named by `service.name` unless `OTEL_SERVICE_NAME` says otherwise. The
 * SDK is imported only then, so a service without the setting loads none
 * of it.
 */
export async function startTracing(
  serviceName: string,
): Promise<TracingShutdown> {
  if (!tracingEnabled) {
    return async () => {};
  }
  const [{ BasicTracerProvider, BatchSpanProcessor }, otlp, resources, sc] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const provider = new BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      [sc.ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME || serviceName,
    }),
    spanProcessors: [new BatchSpanProcessor(new otlp.OTLPTraceExporter())],
  });
  trace.setGlobalTracerProvider(provider);
  return () => provider.shutdown();
}

/**
 * Starts a span under `parent`, a span of this process or the
 * `traceparent` of one elsewhere; a new trace's root span when there is
 * none. Without tracing this is always the same no-op span.
 */
export function startSpan(
  name: string,
  attributes: Attributes,
  parent?: Span | string,
): Span {
  if (!tracingEnabled) {
    return NO_SPAN;
  }
  const context =
    parent === undefined
      ? ROOT_CONTEXT
      : typeof parent === 'string'
        ? contextFrom(parent)
        : trace.setSpan(ROOT_CONTEXT, parent);
  return trace.getTracer('river').startSpan(name, { attributes }, context);
}

/** Ends a span, marking it failed with `error` when one is given. */
export function endSpan(span: Span | undefined, error?: string): void {
  if (span === undefined) {
    return;
  }
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  }
  span.end();
}

/** The W3C `traceparent` value naming `span`, or undefined without one. */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!tracingEnabled || span === undefined) {
    return undefined;
  }
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) {
    return undefined;
  }
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

/** NATS headers carrying `traceparent`, or undefined when there is none. */
export function traceHeaders(
  traceparent: string | undefined,
): MsgHdrs | undefined {
  if (traceparent === undefined) {
    return undefined;
  }
  const hdrs = natsHeaders();
  hdrs.set(TRACEPARENT, traceparent);
  return hdrs;
}

/** The `traceparent` a message carries, when tracing and it is well formed. */
export function traceparentFrom(hdrs: MsgHdrs | undefined): string | undefined {
  if (!tracingEnabled || hdrs === undefined) {
    return undefined;
  }
  const value = hdrs.get(TRACEPARENT);
  return TRACEPARENT_PATTERN.test(value) ? value : undefined;
}

/**
 * The context to start a child span in, from a `traceparent` value; the
 * root context (a new trace) when it is malformed.
 */
function contextFrom(traceparent: string | undefined): Context {
  const match =
    traceparent === undefined ? null : TRACEPARENT_PATTERN.exec(traceparent);
  if (match === null) {
    return ROOT_CONTEXT;
  }
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  });
}
