// What tests/node/otel.test.js loads from the work tree (helpers.js's loadOtel): the same
// exports as the consumer's otel.js that scripts/test.sh writes.
export { instrument } from "../../js/otel.js";
export * as api from "@opentelemetry/api";
export * as traceBase from "@opentelemetry/sdk-trace-base";
export * as sdkMetrics from "@opentelemetry/sdk-metrics";
export * as asyncHooks from "@opentelemetry/context-async-hooks";
