#!/usr/bin/env node
// sehatmu-auth: SehatMu tokens for shell scripts and Node tooling, a sidecar proxy that adds
// them for programs in any language, and the mock server.
// The secret is read from the environment or standard input, never from an argument: other
// users of the machine can read a process's arguments.
import { EXIT, cache, defaultCacheDir, fail, parse, readStdin, refuseSecretArgument } from "./cli.js";

const HELP = {
  main: `Usage: sehatmu-auth <command> [options]

Commands:
  token   get an access token and print it
  proxy   serve the SehatMu API on 127.0.0.1 with the token added, for programs in any language
  mock    run the mock SehatMu server for offline development

Run "sehatmu-auth <command> --help" for a command's options.`,
  token: `Usage: sehatmu-auth token [options]

Prints an access token for the SehatMu API as the AccessToken's JSON: the one cached by an
earlier run while more than a minute of it is left, else a new one from the token endpoint.

Options:
  --client-id <id>      the client id (default: $SEHATMU_CLIENT_ID)
  --base-url <url>      the API's base URL (default: $SEHATMU_BASE_URL, else the sandbox host)
  --secret-stdin        read the client secret from standard input (default: $SEHATMU_CLIENT_SECRET)
  --timeout-ms <ms>     the request's timeout (default 30000; 0 turns it off)
  --header              print only "Authorization: Bearer <token>"
  --cache-dir <dir>     the cache folder (default: $XDG_CACHE_HOME/sehatmu-auth, else
                        ~/.cache/sehatmu-auth)
  --no-cache            neither read nor write the cache
  -h, --help            this help

The secret is never taken from the command line, and never written to the cache. The cache
(one JSON file per token URL and client id, mode 0600 in a 0700 folder) holds the token and,
after invalid_credentials or rate_limited, the server's wait: until it is over, runs that use
the cache exit with status 4 at once, without a request. Runs at the same time share one
request.

Exit status, by error code:
  0  a token was printed
  2  usage, invalid_argument
  3  invalid_credentials
  4  rate_limited
  5  request_rejected, invalid_response
  6  server_error
  7  network_error, timeout, aborted`,
  mock: `Usage: sehatmu-auth mock [options]

Runs the mock SehatMu server (token endpoint, rate limit, /fhir/ stand-in) on 127.0.0.1 and
prints its URL and demo credentials. Ctrl-C stops it.

Options:
  --port <n>            the port (default 8080; 0 picks a free one)
  --host <address>      the address to listen on (default 127.0.0.1)
  -h, --help            this help`,
};

async function token(args) {
  refuseSecretArgument(args);
  const values = parse(args, {
    "client-id": { type: "string" },
    "base-url": { type: "string" },
    "secret-stdin": { type: "boolean" },
    "timeout-ms": { type: "string" },
    header: { type: "boolean" },
    "cache-dir": { type: "string" },
    "no-cache": { type: "boolean" },
  });
  if (values.help) return console.log(HELP.token);
  if (values["no-cache"] && values["cache-dir"] !== undefined) fail("--no-cache and --cache-dir exclude each other");
  if (values["cache-dir"] === "") fail("--cache-dir needs a folder");
  const { TokenClient, isSehatmuError } = await import("../js/node.mjs");
  const clientId = values["client-id"] ?? process.env.SEHATMU_CLIENT_ID;
  const clientSecret = values["secret-stdin"] ? await readStdin() : process.env.SEHATMU_CLIENT_SECRET;
  // One request a run, as before the cache: --timeout-ms bounds the run, and a script retries as it sees fit.
  const options = { clientId, clientSecret, retries: 0 };
  const baseUrl = values["base-url"] ?? process.env.SEHATMU_BASE_URL;
  if (baseUrl) options.baseUrl = baseUrl;
  if (values["timeout-ms"] !== undefined) options.timeoutMs = Number(values["timeout-ms"]);
  if (!values["no-cache"]) {
    const { store, releaseLocks } = await cache(values["cache-dir"] ?? defaultCacheDir());
    options.store = store;
    // A run stopped by a signal frees the lock it holds, then exits as the signal would have.
    for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) {
      process.once(signal, () => releaseLocks().then(() => process.exit(128 + number)));
    }
  }
  try {
    const result = await new TokenClient(options).getToken();
    process.stdout.write(values.header ? `Authorization: Bearer ${result.accessToken}\n` : `${JSON.stringify(result, null, 2)}\n`);
  } catch (error) {
    if (!isSehatmuError(error)) throw error;
    const field = error.field ? ` (${error.field})` : "";
    fail(`${error.code}${field}: ${error.message}`, EXIT[error.code] ?? 1);
  }
}

async function mock(args) {
  const values = parse(args, { port: { type: "string" }, host: { type: "string" } });
  if (values.help) return console.log(HELP.mock);
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not "${values.port}"`);
  const { DEMO_CLIENTS, startMockServer } = await import("../mock/server.js");
  const server = await startMockServer({ port, host: values.host ?? "127.0.0.1" }).catch((error) => fail(error.message, 1));
  console.log(`Mock SehatMu server: ${server.url}  (token endpoint ${server.url}/oauth/token)`);
  for (const client of DEMO_CLIENTS) {
    console.log(`  ${client.shape.padEnd(9)} clientId ${client.clientId}  clientSecret ${client.clientSecret}`);
  }
  console.log("Ctrl-C stops it.");
  const stop = () => server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const [command, ...rest] = process.argv.slice(2);
if (command === "token") await token(rest);
// Loaded only for its command: `token` starts without node:http.
else if (command === "proxy") await (await import("./sidecar.js")).proxy(rest);
else if (command === "mock") await mock(rest);
else if (command === undefined || command === "--help" || command === "-h" || command === "help") console.log(HELP.main);
else fail(`unknown command "${command}"\n${HELP.main}`);
