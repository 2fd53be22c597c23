// OpenTelemetry for sehatmu-auth: `import { instrument } from "sehatmu-auth/otel"`.
//
// It only subscribes: the package publishes on `node:diagnostics_channel` (src/wasm/channels.rs,
// docs/diagnostics.md) and this turns what it hears into a client span per token request, with
// the HTTP client conventions of OpenTelemetry, and four metrics. Nothing else of the package
// imports this file or `@opentelemetry/api` (an optional peer dependency): the `@opentelemetry/api`
// it imports is the one the app installed, so the global providers it reads are the app's.
// For Node, Deno, Bun and workerd with `nodejs_compat`: where there is no
// `node:diagnostics_channel`, there is nothing to subscribe to.
import { channel, tracingChannel } from "node:diagnostics_channel";
import { SpanKind, SpanStatusCode, context, metrics, trace } from "@opentelemetry/api";

/** The instrumentation scope: the tracer's and the meter's name. */
const SCOPE = "sehatmu-auth";
/** Where a token request's span and start time are kept on its channel context. */
const SPAN = Symbol("sehatmu-auth/otel span");
/** A token request's duration, in seconds: the boundaries OpenTelemetry advises for HTTP durations. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `server.address` and `server.port` of a URL: the host without an IPv6 address's brackets, and the port, stated or implied. */
function server(url) {
  const parsed = new URL(url);
  const address = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
  return [address, port];
}

/**
 * Subscribes to the package's channels: a client span `POST /oauth/token` (kind CLIENT) for each
 * token request, child of the context active when it started, and the metrics
 * `sehatmu.token.requests`, `sehatmu.token.request.duration`, `sehatmu.token.cache` and
 * `sehatmu.token.refused`. Defaults: `@opentelemetry/api`'s global providers. Returns the
 * function that unsubscribes (a request under way then gets no span).
 * @param {{ tracerProvider?: import("@opentelemetry/api").TracerProvider, meterProvider?: import("@opentelemetry/api").MeterProvider }} [options]
 * @returns {() => void}
 */
export function instrument(options = {}) {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const requests = meter.createCounter("sehatmu.token.requests", {
    description: "Token requests sent to the token endpoint, by outcome: ok, or the SehatmuError code",
    unit: "{request}",
  });
  const duration = meter.createHistogram("sehatmu.token.request.duration", {
    description: "How long each token request took, response body included",
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const cache = meter.createCounter("sehatmu.token.cache", {
    description: "Calls answered without a token request (hit), and token requests made for calls (miss)",
    unit: "{call}",
  });
  const refused = meter.createCounter("sehatmu.token.refused", {
    description: "Calls refused at once by the rate-limit wait, without a request",
    unit: "{call}",
  });

  const request = {
    start(message) {
      const [address, port] = server(message.url);
      const attributes = {
        "http.request.method": "POST",
        "server.address": address,
        "server.port": port,
        "url.full": message.url,
      };
      // A retry: OpenTelemetry's count of the times this request was sent before.
      if (message.attempt > 1) attributes["http.request.resend_count"] = message.attempt - 1;
      const span = tracer.startSpan("POST /oauth/token", { kind: SpanKind.CLIENT, attributes }, context.active());
      message[SPAN] = { span, started: performance.now() };
      if (message.attempt === 1) cache.add(1, { result: "miss" });
    },
    asyncEnd(message) {
      const traced = message[SPAN];
      if (traced === undefined) return;
      delete message[SPAN];
      const { span, started } = traced;
      const outcome = message.error === undefined ? "ok" : String(message.error.code);
      if (message.status !== undefined) span.setAttribute("http.response.status_code", message.status);
      if (message.error !== undefined) {
        span.setAttribute("error.type", outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, message: message.error.message });
      }
      span.end();
      requests.add(1, { outcome });
      duration.record((performance.now() - started) / 1000, { outcome });
    },
  };
  const onCached = () => cache.add(1, { result: "hit" });
  const onRefused = () => refused.add(1);

  const tracing = tracingChannel("sehatmu-auth:token-request");
  const cached = channel("sehatmu-auth:token-cached");
  const refusals = channel("sehatmu-auth:refused");
  tracing.subscribe(request);
  cached.subscribe(onCached);
  refusals.subscribe(onRefused);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    tracing.unsubscribe(request);
    cached.unsubscribe(onCached);
    refusals.unsubscribe(onRefused);
  };
}
