//! `TokenClients`: one `TokenClient` per client id, for a service that serves many facilities
//! (SATUSEHAT gives each organisation its own client id). Which clients it holds, and which it
//! lets go of, is the core's [`Tenants`]; this file holds the JS state and the exports. For
//! servers only: the browser build leaves it out, as it leaves out the stores.

use alloc::rc::Rc;
use core::cell::RefCell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::args;
use super::convert;
use super::events::Listeners;
use super::token_client::{Client, TokenClient};
use crate::core::{credential, tenant_settings, Error, Tenants};

#[wasm_bindgen(typescript_custom_section)]
const TOKEN_CLIENTS_OPTIONS: &str = r#"
/** Options of {@link TokenClients}: a {@link TokenClientOptions} for every tenant, less its credentials. */
export interface TokenClientsOptions extends Omit<TokenClientOptions, "clientId" | "clientSecret"> {
  /** Gives the secret of a client id: called for each token request of that tenant, never cached. */
  clientSecret: (clientId: string) => string | Promise<string>;
  /** Past this many clients, the least recently used is let go (never one in the middle of a token request). Default 1000. */
  maxClients?: number;
  /** A client unused for this many ms is let go. Default 3600000 (an hour). */
  idleMs?: number;
}

/** The events of a {@link TokenClients}: every tenant's, with its client id. */
export type TokenClientsEventMap = {
  [K in keyof TokenClientEventMap]: CustomEvent<TokenClientEventMap[K]["detail"] & { clientId: string }>;
};

/** A listener of {@link TokenClientsEventMap}'s `K` events: a function, or an object with `handleEvent`. */
export type TokenClientsListener<K extends keyof TokenClientsEventMap> =
  | ((event: TokenClientsEventMap[K]) => void)
  | { handleEvent(event: TokenClientsEventMap[K]): void };

export interface TokenClients {
  /** Calls `listener` for each event of `type` of every tenant, `detail.clientId` added. */
  addEventListener<K extends keyof TokenClientsEventMap>(type: K, listener: TokenClientsListener<K>): void;
  /** Stops calling `listener` for `type`. */
  removeEventListener<K extends keyof TokenClientsEventMap>(type: K, listener: TokenClientsListener<K>): void;
}
"#;

/// What a `TokenClients` holds: the options every tenant's client is made with, and the clients.
struct Tenancy {
    /// The caller's options: each tenant's client reads them, with its own id and secret.
    options: JsValue,
    /// `clientSecret`, the function of the client id.
    secret: Function,
    /// A client made from the options with no tenant of its own: its clock is the idle rule's.
    template: Rc<Client>,
    listeners: Rc<Listeners>,
    tenants: RefCell<Tenants<Rc<Client>>>,
}

impl Tenancy {
    /// `client_id`'s client, made on first use; the bounds applied after.
    ///
    /// # Errors
    /// `invalid_argument` for `clientId` that is not a non-empty string.
    fn client(&self, client_id: &JsValue) -> Result<Rc<Client>, Error> {
        let name = credential("clientId", args::string("clientId", client_id)?)?;
        let now = self.template.now();
        let held = self.tenants.borrow_mut().use_held(&name, now).cloned();
        let client = match held {
            Some(client) => client,
            None => {
                // The secret function with this client id bound: a JS function, no closure.
                let secret = self.secret.bind1(&JsValue::UNDEFINED, client_id);
                let tenancy = Some((Rc::clone(&self.listeners), client_id.clone()));
                let client = Client::new(&self.options, client_id, &secret, tenancy)?;
                let mut tenants = self.tenants.borrow_mut();
                tenants.hold(name, Rc::clone(&client), now);
                client
            }
        };
        self.tenants
            .borrow_mut()
            .let_go(now, |client| client.is_refreshing());
        Ok(client)
    }
}

/// One {@link TokenClient} per client id, made on first use, for a service that serves many
/// facilities: each tenant's client has its own cache, single flight, rate-limit wait and
/// events; a `store` is shared by all, each under its own key. `maxClients` and `idleMs`
/// bound how many are held; one that is let go is reclaimed once nothing else holds it (a
/// reference the app kept still works). For servers: the browser entry does not export it.
#[wasm_bindgen]
pub struct TokenClients {
    tenancy: Rc<Tenancy>,
}

#[wasm_bindgen]
impl TokenClients {
    /// Checks the options; throws a {@link SehatmuError} (`invalid_argument`) where one is
    /// wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TokenClientsOptions")] options: JsValue,
    ) -> Result<TokenClients, JsValue> {
        Self::from_options(options).map_err(|error| convert::error(&error, None))
    }

    /// That tenant's client, made on first use: the same client (cache, listeners) for as long
    /// as it is held. Throws `invalid_argument` for a `clientId` that is not a non-empty string.
    pub fn get(
        &self,
        #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
    ) -> Result<TokenClient, JsValue> {
        self.tenancy
            .client(&client_id)
            .map(TokenClient::from)
            .map_err(|error| convert::error(&error, None))
    }

    /// That tenant's token: {@link TokenClient.getToken}.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<AccessToken>")]
    pub fn get_token(
        &self,
        #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenCallOptions | null")] options: Option<
            js_sys::Object,
        >,
    ) -> Promise {
        match self.tenancy.client(&client_id) {
            Ok(client) => client.get_token_call(options),
            Err(error) => Promise::reject(&convert::error(&error, None)),
        }
    }

    /// `fetch` with that tenant's token: {@link TokenClient.fetch}.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: JsValue,
    ) -> Promise {
        match self.tenancy.client(&client_id) {
            Ok(client) => client.fetch(input, init),
            Err(error) => Promise::reject(&convert::error(&error, None)),
        }
    }

    /// Lets go of that tenant's client (not of its stored token); whether one was held.
    pub fn delete(
        &self,
        #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
    ) -> Result<bool, JsValue> {
        let name = args::string("clientId", &client_id)
            .and_then(|name| credential("clientId", name))
            .map_err(|error| convert::error(&error, None))?;
        Ok(self.tenancy.tenants.borrow_mut().remove(&name))
    }

    /// How many clients are held now.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.tenancy.tenants.borrow().len()
    }

    /// Calls `listener` for each event of `type` of every tenant (see `TokenClientsEventMap`).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, kind: JsValue, listener: JsValue) {
        self.tenancy.listeners.change(true, kind, listener);
    }

    /// Stops calling `listener` for `type`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, kind: JsValue, listener: JsValue) {
        self.tenancy.listeners.change(false, kind, listener);
    }
}

impl TokenClients {
    fn from_options(options: JsValue) -> Result<TokenClients, Error> {
        if !options.is_object() {
            return Err(Error::invalid_argument("options", "an object"));
        }
        let read = |name| args::option(&options, name);
        let secret = read("clientSecret")?.dyn_into::<Function>().map_err(|_| {
            Error::invalid_argument(
                "clientSecret",
                "a function that gives the secret of a client id",
            )
        })?;
        let number = |value: JsValue| (!value.is_undefined()).then(|| value.as_f64());
        let settings = tenant_settings(number(read("maxClients")?), number(read("idleMs")?))?;
        // Every other option checked now, once, as each tenant's client will read it.
        let template = Client::new(&options, &JsValue::from_str("-"), &secret, None)?;
        Ok(TokenClients {
            tenancy: Rc::new(Tenancy {
                options,
                secret,
                template,
                listeners: Rc::default(),
                tenants: RefCell::new(Tenants::new(settings)),
            }),
        })
    }
}
