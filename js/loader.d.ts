// What the package's JavaScript itself implements, beside the .wasm's exports: the loaders'
// `init()` and `isSehatmuError` (js/errors.js). scripts/build.sh appends this to the
// declarations that wasm-bindgen generates from the Rust (pkg/index.d.ts), so that each name
// and its type are written once, where it is implemented.

/** Whether `value` is a {@link SehatmuError} from this package (an ordinary `Error` with a `code` is not). */
export function isSehatmuError(value: unknown): value is SehatmuError;

/**
 * Loads the WebAssembly module ahead of the first call. Optional: every call loads it itself.
 * In the web entry, `wasm` says where the `.wasm` is, for bundlers that do not ship it as an
 * asset (esbuild): its URL, a `Response`, its bytes or a compiled module. Node and Workers
 * ignore it. Once loaded, later calls change nothing.
 */
export function init(wasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;
