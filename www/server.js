// The README's main command (`npm start`): starts the mock SehatMu server on 127.0.0.1, gets a
// real token from it through the package for each demo client, prints them, and keeps serving
// until Ctrl-C so that apps under development can use it as their `baseUrl`.
import { getToken, isSehatmuError } from "../js/node.mjs";
import { DEMO_CLIENTS, startMockServer } from "../mock/server.js";

const wanted = Number(process.env.PORT ?? 8080);
let server;
try {
  server = await startMockServer({ port: wanted });
} catch (error) {
  if (error.code !== "EADDRINUSE") throw error;
  console.warn(`Port ${wanted} is taken; using a free one.`);
  server = await startMockServer({ port: 0 });
}

console.log(`Mock SehatMu server: ${server.url}  (token endpoint ${server.url}/oauth/token)\n`);
for (const [i, client] of DEMO_CLIENTS.entries()) {
  const token = await getToken(client.clientId, client.clientSecret, { baseUrl: server.url });
  console.log(`Demo client "${client.shape}" (answers in that documented shape)`);
  console.log(`  clientId:     ${client.clientId}`);
  console.log(`  clientSecret: ${client.clientSecret}   (works against this mock only)`);
  if (i === 0) console.log(`  AccessToken:  ${JSON.stringify(token, null, 2).replaceAll("\n", "\n  ")}\n`);
  else console.log(`  accessToken:  ${token.accessToken}, expires ${token.accessTokenExpiresAt}\n`);
}
const wrong = await getToken(DEMO_CLIENTS[0].clientId, "not-the-secret", { baseUrl: server.url }).catch((e) => e);
console.log(`A wrong secret: ${isSehatmuError(wrong) ? `${wrong.code}: ${wrong.message}` : wrong}\n`);
server.reset();

console.log("Serving until Ctrl-C.");
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
