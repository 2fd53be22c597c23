// The demo page: a TokenClient from the package's web entry (plain ES modules, no bundler).
// Every URL is relative to the page, so it runs from www/ as `npm start` serves it, from a static
// server of the repository root (/www/index.html, the entry at ../js/web.js), or under a sub-path.
import { TokenClient, isSehatmuError } from "../js/web.js";

const form = document.getElementById("token-form");
const button = form.querySelector('[data-testid="get-token"]');
const result = document.getElementById("result");
const field = (name) => form.elements.namedItem(name);

/** The client for the credentials on the form; a new one when they change. */
let client;
let clientKey;
let lastToken;
let countdown;

/** An element with text (never HTML: the server's words are data). */
function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function row(list, term, ...nodes) {
  const dd = el("dd");
  dd.append(...nodes);
  list.append(el("dt", term), dd);
}

function render(state, ...nodes) {
  clearInterval(countdown);
  result.className = state;
  result.replaceChildren(...nodes);
}

function remaining(ms) {
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `in ${h ? `${h} h ` : ""}${m} min ${s % 60} s`;
}

function showToken(token, cached) {
  const list = el("dl");
  const copy = el("button", "Copy", { type: "button", class: "copy", "aria-label": "Copy the access token" });
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(token.accessToken).then(
      () => (copy.textContent = "Copied"),
      () => (copy.textContent = "Copy failed"),
    );
  });
  const full = el("code", token.accessToken, { class: "token", "data-testid": "access-token", title: token.accessToken });
  row(list, "Token", full, copy);
  row(list, "Type", el("code", token.tokenType));
  const left = el("span", remaining(token.expiresAt - Date.now()), { "data-testid": "countdown" });
  row(list, "Expires", `${new Date(token.expiresAt).toLocaleString()} (`, left, ")");
  if (token.clientId) row(list, "Client ID", el("code", token.clientId));
  if (token.client) row(list, "Client", [token.client.name, token.client.email && `<${token.client.email}>`].filter(Boolean).join(" "));
  if (token.user) row(list, "User", [token.user.name, token.user.id && `(${token.user.id})`].filter(Boolean).join(" "));
  const note = cached
    ? "From the TokenClient's cache: no request was sent."
    : "Fresh from the token endpoint.";
  render("ok", el("h2", "Access token"), el("p", note, { class: "note", "data-testid": "source" }), list);
  countdown = setInterval(() => (left.textContent = remaining(token.expiresAt - Date.now())), 1000);
}

function showError(error) {
  const code = isSehatmuError(error) ? error.code : "unexpected_error";
  const list = el("dl");
  row(list, "Code", el("code", code, { "data-testid": "error-code" }));
  row(list, "Message", String(error?.message ?? error));
  if (error?.status) row(list, "HTTP status", String(error.status));
  if (error?.retryAfterMs) row(list, "Retry in", `${Math.ceil(error.retryAfterMs / 1000)} s`);
  const nodes = [el("h2", "No token"), list];
  if (error?.issues?.length) {
    const issues = el("ul", undefined, { class: "issues", "aria-label": "OperationOutcome issues" });
    for (const issue of error.issues) {
      issues.append(el("li", `${issue.severity ?? "?"} / ${issue.code ?? "?"}: ${issue.details?.text ?? ""}`));
    }
    nodes.push(el("p", "The server's OperationOutcome:", { class: "note" }), issues);
  }
  render("failed", ...nodes);
}

async function getToken() {
  const baseUrl = field("baseUrl").value.trim();
  const clientId = field("clientId").value;
  const clientSecret = field("clientSecret").value;
  const key = JSON.stringify([baseUrl, clientId, clientSecret]);
  if (key !== clientKey) {
    client = new TokenClient({ clientId, clientSecret, ...(baseUrl ? { baseUrl } : {}) });
    clientKey = key;
    lastToken = undefined;
  }
  button.disabled = true;
  result.setAttribute("aria-busy", "true");
  try {
    const token = await client.getToken();
    showToken(token, token === lastToken);
    lastToken = token;
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
    result.setAttribute("aria-busy", "false");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!button.disabled) getToken();
});

// Served by `npm start`, the page starts with the mock server's URL and demo credentials from
// demo-defaults.json beside it; served by any other host, with empty fields, and says so.
const defaultsNote = document.getElementById("defaults");
fetch("demo-defaults.json", { cache: "no-store" })
  .then((response) => (response.ok ? response.json() : undefined))
  .catch(() => undefined)
  .then((defaults) => {
    if (!defaults || typeof defaults !== "object") {
      defaultsNote.textContent =
        "No demo-defaults.json beside this page, so the fields start empty: enter a base URL " +
        "(for a local try, the one `npx sehatmu-auth mock` prints) and a client ID and secret.";
      return;
    }
    for (const name of ["baseUrl", "clientId", "clientSecret"]) {
      if (typeof defaults[name] === "string" && !field(name).value) field(name).value = defaults[name];
    }
    defaultsNote.textContent = "Prefilled from demo-defaults.json: the mock server's URL and demo credentials.";
  });
