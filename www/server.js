// The README's main command (`npm start`): one origin on 127.0.0.1 that serves the mock
// SehatMu server, the demo page (www/) and the package it loads (js/, pkg/). It prints the
// page's URL and a real token from the mock, then serves until Ctrl-C.
//
// PORT picks the port (default 8080; 0, or a taken port, means a free one).
//
// The demo's second mode, "through your server": sehatmu-auth/proxy mounted at /sehatmu in
// front of the mock, with the demo credentials kept here. It serves same-origin browser
// requests only (Sec-Fetch-Site: same-origin, which a page on another site can't send).
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { getToken, TokenClient } from "../js/node.mjs";
import { createProxy, toNodeListener } from "../js/proxy.js";
import { DEMO_CLIENTS, startMockServer } from "../mock/server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const [demo, , proxyDemo] = DEMO_CLIENTS;
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};
/** URL prefix → folder: the package's entries, the build, and the page, both at / and at /www/
 * (the repository's own layout, as a static server of its root serves it). The page's URLs are
 * relative (the entry is ../js/web.js), and resolve to the same files from either. */
const FOLDERS = { "/js/": "js", "/pkg/": "pkg", "/www/": "www", "/": "www" };

let baseUrl;
/** The proxy's Node listener, once the mock's URL is known. */
let proxy;

/** `/sehatmu…` to the proxy (its own rules decide what passes), everything else to the files. */
function route(req, res) {
  if (proxy && req.url.startsWith("/sehatmu")) return proxy(req, res);
  return serveFile(req, res);
}

/**
 * The proxy in front of the mock's `/fhir/…`, holding a demo client's secret on this side: a
 * client of its own, so that a wrong secret typed in the form (which makes the mock refuse that
 * client id for a minute) does not stop it.
 */
function mountProxy() {
  const client = new TokenClient({ clientId: proxyDemo.clientId, clientSecret: proxyDemo.clientSecret, baseUrl });
  const authorize = (request) => request.headers.get("sec-fetch-site") === "same-origin";
  proxy = toNodeListener(createProxy({ client, authorize, prefix: "/sehatmu" }));
}

/** Static files, and the page's defaults: the mock's own URL and demo credentials. */
async function serveFile(req, res) {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path === "/demo-defaults.json" || path === "/www/demo-defaults.json") {
    res.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" });
    res.end(JSON.stringify({ baseUrl, clientId: demo.clientId, clientSecret: demo.clientSecret }));
    return;
  }
  if (path === "/www") {
    res.writeHead(301, { location: "/www/" });
    res.end();
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
  server = await startMockServer({ port: wanted, fallback: route });
} catch (error) {
  if (error.code !== "EADDRINUSE") throw error;
  console.warn(`Port ${wanted} is taken; using a free one.`);
  server = await startMockServer({ port: 0, fallback: route });
}
baseUrl = server.url;
mountProxy();

const token = await getToken(demo.clientId, demo.clientSecret, { baseUrl });
server.reset();
console.log(`Demo page:          ${server.url}/`);
console.log(`Mock SehatMu token: ${server.url}/oauth/token  (baseUrl ${server.url})`);
console.log(`Demo credentials:   clientId ${demo.clientId}`);
console.log(`                    clientSecret ${demo.clientSecret}  (this mock only)`);
console.log(`A token from it:    ${JSON.stringify(token, null, 2).replaceAll("\n", "\n                    ")}`);
console.log(`Through your server: ${server.url}/sehatmu/fhir/…  (the proxy; same-origin browser requests only)`);
console.log("Serving until Ctrl-C.");

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
