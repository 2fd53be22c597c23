// The README's main command (`npm start`): one origin on 127.0.0.1 that serves the mock
// SehatMu server, the demo page (www/) and the package it loads (js/, pkg/). It prints the
// page's URL and a real token from the mock, then serves until Ctrl-C.
//
// PORT picks the port (default 8080; 0, or a taken port, means a free one).
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { getToken } from "../js/node.mjs";
import { DEMO_CLIENTS, startMockServer } from "../mock/server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const [demo] = DEMO_CLIENTS;
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};
/** URL prefix → folder: the page itself, the package's entries, the build. */
const FOLDERS = { "/js/": "js", "/pkg/": "pkg", "/": "www" };

let baseUrl;

/** Static files, and the page's defaults: the mock's own URL and demo credentials. */
async function serveFile(req, res) {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path === "/demo-defaults.json") {
    res.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" });
    res.end(JSON.stringify({ baseUrl, clientId: demo.clientId, clientSecret: demo.clientSecret }));
    return;
  }
  const [prefix, folder] = Object.entries(FOLDERS).find(([p]) => path.startsWith(p));
  const base = join(root, folder);
  const file = normalize(join(base, path.slice(prefix.length) || "index.html"));
  const type = TYPES[extname(file)];
  try {
    if (req.method !== "GET" && req.method !== "HEAD") throw new Error("method");
    if (!file.startsWith(base + sep) || !type || file.endsWith("server.js")) throw new Error("not served");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end(`Not found: ${path}`);
  }
}

const wanted = Number(process.env.PORT ?? 8080);
let server;
try {
  server = await startMockServer({ port: wanted, fallback: serveFile });
} catch (error) {
  if (error.code !== "EADDRINUSE") throw error;
  console.warn(`Port ${wanted} is taken; using a free one.`);
  server = await startMockServer({ port: 0, fallback: serveFile });
}
baseUrl = server.url;

const token = await getToken(demo.clientId, demo.clientSecret, { baseUrl });
server.reset();
console.log(`Demo page:          ${server.url}/`);
console.log(`Mock SehatMu token: ${server.url}/oauth/token  (baseUrl ${server.url})`);
console.log(`Demo credentials:   clientId ${demo.clientId}`);
console.log(`                    clientSecret ${demo.clientSecret}  (this mock only)`);
console.log(`A token from it:    ${JSON.stringify(token, null, 2).replaceAll("\n", "\n                    ")}`);
console.log("Serving until Ctrl-C.");

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
