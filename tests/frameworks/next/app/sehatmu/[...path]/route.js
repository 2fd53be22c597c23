// sehatmu-auth/proxy as a route handler on the Node runtime: the page's API calls under
// /sehatmu/ go to the SehatMu API with the server's token. Its rules come from the package's
// .wasm, which Turbopack and webpack must bundle through the package's private `#proxy-rules`.
import { TokenClient } from "sehatmu-auth";
import { createProxy } from "sehatmu-auth/proxy";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

let proxy;

function handler(request) {
  proxy ??= createProxy({
    client: new TokenClient({
      baseUrl: process.env.SEHATMU_BASE_URL,
      clientId: process.env.SEHATMU_CLIENT_ID,
      clientSecret: process.env.SEHATMU_CLIENT_SECRET,
    }),
    authorize: (request) => request.headers.get("x-signed-in") === "yes",
    prefix: "/sehatmu",
  });
  return proxy(request);
}

export { handler as GET, handler as POST };
