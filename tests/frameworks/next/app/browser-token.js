"use client";
// getToken in the browser: the package's web entry, bundled by Next with its .wasm.
import { useEffect, useState } from "react";
import { getToken, isSehatmuError } from "sehatmu-auth";

async function check(baseUrl, clientId, clientSecret) {
  const token = await getToken(clientId, clientSecret, { baseUrl });
  const error = await getToken(clientId, "wrong-secret", { baseUrl }).catch((e) => e);
  return { token: token.accessToken, code: error.code, branded: isSehatmuError(error), name: error.name };
}

export default function BrowserToken({ baseUrl, clientId, clientSecret }) {
  const [result, setResult] = useState("");
  useEffect(() => {
    let live = true;
    check(baseUrl, clientId, clientSecret).then(
      (value) => live && setResult(JSON.stringify(value)),
      (error) => live && setResult(JSON.stringify({ failure: String(error), code: error?.code })),
    );
    return () => {
      live = false;
    };
  }, [baseUrl, clientId, clientSecret]);
  return <pre data-testid="browser-result">{result}</pre>;
}
