// undici with a TokenClient's token: `import { tokenClientInterceptor } from "sehatmu-auth/undici"`,
// then `new Agent().compose(tokenClientInterceptor(client))` as the `dispatcher` of `request`,
// `fetch` or a `Client`.
//
// Each request is dispatched once `client.authorizationHeader()` (the client's single flight and
// rate-limit wait) has given its `Authorization`, which replaces the caller's own. A 401 from the
// API to a request whose body can be sent again (none, a string, a Buffer or Uint8Array) is held
// back from the caller, read to its end, and the request dispatched once more with the header
// that `client.authorizationHeader({ rejected })` gives (the client's rule: one fresh token for
// every request the old one failed); a second 401 is the caller's, as is the 401 of a request
// with a stream or iterable body. A token failure reaches the caller's handler as
// `onResponseError`, the SehatmuError as it is. It imports nothing of undici: undici 7's handler
// API (`onRequestStart`, `onResponseStart`, …) is a protocol of plain objects.
import { invalidArgument } from "./errors.js";

/** The API's answer that turns a request's token down. */
const REJECTED = 401;

/** Whether a dispatch's `body` is sent the same way twice. */
function replayable(body) {
  return body == null || typeof body === "string" || body instanceof Uint8Array;
}

/** undici's `headers` (an object, a flat `[name, value, …]` array, or pairs) as a flat array with `authorization: value` only. */
function withAuthorization(headers, value) {
  const flat = [];
  const add = (name, entry) => {
    if (String(name).toLowerCase() !== "authorization") flat.push(name, entry);
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (headers != null && typeof headers[Symbol.iterator] === "function") {
    for (const [name, entry] of headers) add(name, entry);
  } else if (headers != null) {
    for (const name of Object.keys(headers)) add(name, headers[name]);
  }
  flat.push("authorization", value);
  return flat;
}

/**
 * The controller the caller's handler holds for the whole call: it forwards to the controller of
 * the dispatch under way (the first, then the replay), and keeps a pause or an abort that comes
 * between the two.
 */
class CallController {
  #target = null;
  #paused = false;
  #aborted = false;
  #reason = null;

  set target(target) {
    this.#target = target;
    if (this.#aborted) target.abort(this.#reason);
    else if (this.#paused) target.pause();
  }

  pause() {
    this.#paused = true;
    this.#target?.pause();
  }

  resume() {
    this.#paused = false;
    this.#target?.resume();
  }

  abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#target?.abort(reason);
  }

  get aborted() {
    return this.#aborted || (this.#target?.aborted ?? false);
  }

  get reason() {
    return this.#aborted ? this.#reason : (this.#target?.reason ?? null);
  }

  get paused() {
    return this.#paused;
  }

  get rawHeaders() {
    return this.#target?.rawHeaders ?? null;
  }

  get rawTrailers() {
    return this.#target?.rawTrailers ?? null;
  }
}

/** One call: its dispatches (the first, and the replay where there is one) report here. */
class TokenCall {
  #dispatch;
  #options;
  #handler;
  #client;
  #controller = new CallController();
  #started = false;
  /** The `Authorization` value of the dispatch under way. */
  #sent;
  /** Whether a 401 still calls for the replay. */
  #mayReplay;
  /** Whether the answer under way is a 401 held back for the replay. */
  #holding = false;

  constructor(dispatch, options, handler, client) {
    this.#dispatch = dispatch;
    this.#options = options;
    this.#handler = handler;
    this.#client = client;
    this.#mayReplay = !options.upgrade && replayable(options.body);
  }

  /** Dispatches the request with `header` (unless the caller aborted meanwhile). */
  send(header) {
    if (this.#controller.aborted) return this.fail(this.#controller.reason);
    this.#sent = header;
    try {
      this.#dispatch({ ...this.#options, headers: withAuthorization(this.#options.headers, header) }, this);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Ends the call with `error` (a token failure: the SehatmuError as it is). */
  fail(error) {
    this.#handler.onResponseError?.(this.#controller, error);
  }

  onRequestStart(controller, context) {
    this.#controller.target = controller;
    if (this.#started) return;
    this.#started = true;
    this.#handler.onRequestStart?.(this.#controller, context);
  }

  onRequestUpgrade(controller, statusCode, headers, socket) {
    this.#handler.onRequestUpgrade?.(this.#controller, statusCode, headers, socket);
  }

  onResponseStart(controller, statusCode, headers, statusMessage) {
    if (statusCode === REJECTED && this.#mayReplay) {
      this.#mayReplay = false;
      this.#holding = true;
      return;
    }
    this.#handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller, chunk) {
    if (!this.#holding) this.#handler.onResponseData?.(this.#controller, chunk);
  }

  onResponseEnd(controller, trailers) {
    if (!this.#holding) return this.#handler.onResponseEnd?.(this.#controller, trailers);
    this.#holding = false;
    this.#client.authorizationHeader({ rejected: this.#sent }).then(
      (header) => this.send(header),
      (error) => this.fail(error),
    );
  }

  onResponseError(controller, error) {
    this.#holding = false;
    this.#handler.onResponseError?.(this.#controller, error);
  }
}

/**
 * An interceptor for undici's `Dispatcher.compose` that adds `client`'s token to every request
 * and replays once a request the API answered 401 to.
 */
export function tokenClientInterceptor(client) {
  if (typeof client?.authorizationHeader !== "function") {
    throw invalidArgument("client", "a TokenClient");
  }
  return (dispatch) =>
    function sehatmuTokenClient(options, handler) {
      const call = new TokenCall(dispatch, options, handler, client);
      client.authorizationHeader().then(
        (header) => call.send(header),
        (error) => call.fail(error),
      );
      return true;
    };
}
