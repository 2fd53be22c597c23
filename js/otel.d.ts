import type { MeterProvider, TracerProvider } from "@opentelemetry/api";

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where the spans go. Default: `@opentelemetry/api`'s global tracer provider. */
  tracerProvider?: TracerProvider;
  /** Where the metrics go. Default: `@opentelemetry/api`'s global meter provider. */
  meterProvider?: MeterProvider;
}

/**
 * Subscribes to the package's `diagnostics_channel` channels: a client span `POST /oauth/token`
 * (kind CLIENT) for each token request, child of the context active when it started, with
 * `http.request.method`, `server.address`, `server.port`, `url.full`,
 * `http.response.status_code`, and `error.type` (the `SehatmuError` code) and an error status on
 * failure; the metrics `sehatmu.token.requests` (`outcome`: `ok` or the code),
 * `sehatmu.token.request.duration` (seconds), `sehatmu.token.cache` (`result`: `hit` or `miss`)
 * and `sehatmu.token.refused`. Returns the function that stops it.
 */
export function instrument(options?: InstrumentOptions): () => void;
