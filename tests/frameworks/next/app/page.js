// A server component that hands the mock server's URL and demo credentials (environment
// variables of `next start`) to a client component, which gets a token in the browser.
import BrowserToken from "./browser-token.js";

export const dynamic = "force-dynamic"; // the environment is read per request, not at build time

export default function Page() {
  return (
    <main>
      <h1>sehatmu-auth in Next.js</h1>
      <BrowserToken
        baseUrl={process.env.SEHATMU_BASE_URL}
        clientId={process.env.SEHATMU_CLIENT_ID}
        clientSecret={process.env.SEHATMU_CLIENT_SECRET}
      />
    </main>
  );
}
