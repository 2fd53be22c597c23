// sehatmu-auth/otel with OpenTelemetry's own SDK: spans in an in-memory exporter, metrics in an
// in-memory reader, the active context kept by AsyncLocalStorage.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";

import { load, loadOtel, rejection } from "./helpers.js";

const { TokenClient, mock } = await load();
const { instrument, api, traceBase, sdkMetrics, asyncHooks } = await loadOtel();
const [SEHATMU] = mock.DEMO_CLIENTS;

const exporter = new traceBase.InMemorySpanExporter();
const tracerProvider = new traceBase.BasicTracerProvider({ spanProcessors: [new traceBase.SimpleSpanProcessor(exporter)] });
/** A reader that is read when a test asks (`collect()`), never on a timer. */
class TestReader extends sdkMetrics.MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
let reader;
let meterProvider;
let stop;

let server;
before(async () => {
  api.context.setGlobalContextManager(new asyncHooks.AsyncLocalStorageContextManager().enable());
  server = await mock.startMockServer();
});
after(() => server.close());
beforeEach(() => {
  server.reset();
  exporter.reset();
  reader = new TestReader();
  meterProvider = new sdkMetrics.MeterProvider({ readers: [reader] });
  stop = instrument({ tracerProvider, meterProvider });
});
afterEach(() => stop());

const client = (options = {}) =>
  new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: server.url, retries: 0, ...options });
const tracer = () => tracerProvider.getTracer("test");
const tokenSpans = () => exporter.getFinishedSpans().filter((span) => span.name === "POST /oauth/token");

/** Runs `body` in a span of its own, `caller`: that span. */
function inCaller(body) {
  return tracer().startActiveSpan("caller", async (span) => {
    try {
      await body();
    } finally {
      span.end();
    }
    return span;
  });
}

/** Each metric's data points, by name: `[attributes, value]` (a histogram's value: its count). */
async function points() {
  const { resourceMetrics } = await reader.collect();
  const byName = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      byName[metric.descriptor.name] = metric.dataPoints.map((p) => [p.attributes, typeof p.value === "number" ? p.value : p.value.count]);
    }
  }
  return byName;
}

describe("spans", () => {
  test("one client span per token request, child of the caller's active span, with the HTTP client attributes", async () => {
    const tokens = client();
    let all;
    const caller = await inCaller(async () => {
      all = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    });
    const spans = tokenSpans();
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span.kind, api.SpanKind.CLIENT);
    assert.equal(span.spanContext().traceId, caller.spanContext().traceId);
    assert.equal(span.parentSpanContext?.spanId, caller.spanContext().spanId);
    const port = Number(new URL(server.url).port);
    assert.deepEqual(span.attributes, {
      "http.request.method": "POST",
      "server.address": "127.0.0.1",
      "server.port": port,
      "url.full": `${server.url}/oauth/token?grant_type=client_credentials`,
      "http.response.status_code": 200,
    });
    assert.equal(span.status.code, api.SpanStatusCode.UNSET);
    const view = JSON.stringify({ attributes: span.attributes, status: span.status, events: span.events });
    assert.ok(!view.includes(SEHATMU.clientSecret) && !view.includes(all[0].accessToken));
  });

  test("a failure: an error status, error.type the code, the status code", async () => {
    const caller = await inCaller(() => rejection(client({ clientSecret: "wrong-secret-value" }).getToken()));
    const [span] = tokenSpans();
    assert.equal(span.parentSpanContext?.spanId, caller.spanContext().spanId);
    assert.equal(span.status.code, api.SpanStatusCode.ERROR);
    assert.equal(span.attributes["error.type"], "invalid_credentials");
    assert.equal(span.attributes["http.response.status_code"], 401);
    assert.ok(!JSON.stringify({ a: span.attributes, s: span.status }).includes("wrong-secret-value"));
  });

  test("retries: a span each, the resends counted", async () => {
    server.next({ status: 503, body: "busy" });
    await client({ retries: 1 }).getToken();
    const spans = tokenSpans();
    assert.deepEqual(
      spans.map((s) => [s.attributes["http.response.status_code"], s.attributes["error.type"], s.attributes["http.request.resend_count"]]),
      [
        [503, "server_error", undefined],
        [200, undefined, 1],
      ],
    );
  });

  test("a request with no caller span is a root span", async () => {
    await client().getToken();
    const [span] = tokenSpans();
    assert.equal(span.parentSpanContext, undefined);
  });
});

describe("metrics", () => {
  test("count what happened: requests by outcome, their durations, cache hits and misses, refusals", async () => {
    const tokens = client();
    await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));
    await tokens.getToken();
    await tokens.authorizationHeader();
    await tokens.getToken();
    const wrong = client({ clientSecret: "wrong-secret-value" });
    await rejection(wrong.getToken());
    await rejection(wrong.getToken());
    await rejection(wrong.getToken());
    const byName = await points();
    const sorted = (list) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    assert.deepEqual(sorted(byName["sehatmu.token.requests"]), sorted([[{ outcome: "ok" }, 1], [{ outcome: "invalid_credentials" }, 1]]));
    assert.deepEqual(sorted(byName["sehatmu.token.request.duration"]), sorted([[{ outcome: "ok" }, 1], [{ outcome: "invalid_credentials" }, 1]]));
    assert.deepEqual(sorted(byName["sehatmu.token.cache"]), sorted([[{ result: "miss" }, 2], [{ result: "hit" }, 3]]));
    assert.deepEqual(byName["sehatmu.token.refused"], [[{}, 2]]);
    const { resourceMetrics } = await reader.collect();
    const duration = resourceMetrics.scopeMetrics[0].metrics.find((m) => m.descriptor.name === "sehatmu.token.request.duration");
    assert.equal(duration.descriptor.unit, "s");
    assert.ok(duration.dataPoints.every((p) => p.value.sum > 0 && p.value.sum < 30));
  });
});

test("instrument()'s function stops it: no span and no count after", async () => {
  stop();
  const tokens = client();
  await inCaller(() => tokens.getToken());
  await tokens.getToken();
  assert.deepEqual(tokenSpans(), []);
  const byName = await points();
  assert.equal(byName["sehatmu.token.requests"]?.length ?? 0, 0);
});
