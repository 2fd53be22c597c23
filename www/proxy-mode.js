// The demo's second mode, "through your server": the page calls the proxy that `npm start`
// mounts at /sehatmu (www/server.js), which adds the token on the server. Nothing here knows
// a secret or a token. A relative URL, so the page works under any path; served without the
// proxy (a static host), the call answers 404 and the page says so.
const button = document.querySelector('[data-testid="proxy-call"]');
const result = document.getElementById("proxy-result");

function show(state, status, text) {
  const line = document.createElement("p");
  line.className = "note";
  const code = document.createElement("code");
  code.dataset.testid = "proxy-status";
  code.textContent = status;
  line.append("HTTP ", code);
  const body = document.createElement("pre");
  body.dataset.testid = "proxy-body";
  body.textContent = text;
  result.className = state;
  result.replaceChildren(line, body);
}

async function callProxy() {
  button.disabled = true;
  result.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(new URL("sehatmu/fhir/Patient", document.baseURI), {
      headers: { accept: "application/fhir+json" },
    });
    let text = await response.text();
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: shown as it came
    }
    if (response.status === 404 && !text.includes("OperationOutcome")) text = `No proxy here: serve the page with npm start.\n\n${text}`;
    show(response.ok ? "ok" : "failed", String(response.status), text);
  } catch (error) {
    show("failed", "no answer", String(error?.message ?? error));
  } finally {
    button.disabled = false;
    result.setAttribute("aria-busy", "false");
  }
}

button.addEventListener("click", () => {
  if (!button.disabled) callProxy();
});
