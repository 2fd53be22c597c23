// A route handler on the Node runtime: one TokenClient for the server process, so that every
// request after the first is served from its cache.
import { TokenClient, isSehatmuError } from "sehatmu-auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

let client;

export async function GET() {
  client ??= new TokenClient({
    baseUrl: process.env.SEHATMU_BASE_URL,
    clientId: process.env.SEHATMU_CLIENT_ID,
    clientSecret: process.env.SEHATMU_CLIENT_SECRET,
  });
  try {
    const token = await client.getToken();
    return Response.json({ accessToken: token.accessToken, expiresAt: token.expiresAt });
  } catch (error) {
    const code = isSehatmuError(error) ? error.code : "unexpected_error";
    return Response.json({ code, message: String(error?.message ?? error) }, { status: 502 });
  }
}
