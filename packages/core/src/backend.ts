/**
 * Backend selection: a registry of providers and the one current backend. Whoever implements a backend registers
 * it: core's tfjs backends (backends/tfjs-backends.ts and the platform's providers), other packages when they are
 * imported. This module knows no backend by name and no array runtime: providers do the work.
 */
import { BACKEND_PACKAGES } from "./backend-packages.js";

/** A backend's registered name (`cpu`, `wasm`, `webgl`, `webgpu`, `tensorflow` from core, others from packages). */
export type BackendName = string;

export interface BackendInfo {
  readonly name: BackendName;
  readonly available: boolean;
  /** What it runs on, or why it is not available. */
  readonly detail: string;
}

/** How a backend is loaded and probed; registered under its name with `registerBackendProvider`. */
export interface BackendProvider {
  /**
   * Loads what the backend needs and makes it run eager operations, or throws an error that says what to
   * install. For a backend with an `eagerBackend`, it loads the executor's runtime; that backend is then activated.
   */
  activate(): Promise<void>;
  /**
   * For a backend that only executes jitted programs: the registered backend that runs eager operations beside
   * it (and holds the arrays its programs read and write). Absent for a backend that runs both.
   */
  readonly eagerBackend?: BackendName;
  probe(): Promise<{ ok: true; detail: string } | { ok: false; reason: string }>;
}

/** In registration order: the order `availableBackends()` lists them. */
const providers = new Map<BackendName, BackendProvider>();

export function registerBackendProvider(name: BackendName, provider: BackendProvider): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new TypeError(`registerBackendProvider: a backend name is lower-case letters, digits and '-', got ${JSON.stringify(name)}`);
  providers.set(name, provider);
}

/** The names of the registered backends, whether or not they can run here. */
export function knownBackends(): BackendName[] {
  return [...providers.keys()];
}

export class UnknownBackendError extends Error {
  constructor(name: string) {
    const known = knownBackends().map((b) => `'${b}'`).join(", ");
    const pkg = BACKEND_PACKAGES[name];
    super(
      pkg
        ? `backend ${JSON.stringify(name)} is provided by ${pkg}, which is not loaded: add \`import "${pkg}";\` before using it (registered now: ${known})`
        : `unknown backend ${JSON.stringify(name)}; valid backends are ${known} (a package that provides another registers it when imported)`,
    );
    this.name = "UnknownBackendError";
  }
}

function providerOf(name: string): BackendProvider {
  const provider = providers.get(name);
  if (!provider) throw new UnknownBackendError(name);
  return provider;
}

const setListeners: ((name: BackendName) => void)[] = [];
/** Lets caches that depend on the backend (compiled programs, literal tensors) react to a switch. */
export function onBackendChange(listener: (name: BackendName) => void): void {
  setListeners.push(listener);
}

/** The one backend state; the eager backend is derived from it (`getEagerBackend`). */
let current: BackendName = "cpu";

/**
 * Switches every later operation to `name`. Resolves once the backend is initialised. The only place the current
 * backend changes: the array runtime's own backend follows it through the providers' `activate`.
 */
export async function setBackend(name: string): Promise<void> {
  const provider = providerOf(name);
  await provider.activate();
  if (provider.eagerBackend !== undefined) await providerOf(provider.eagerBackend).activate();
  current = name;
  for (const l of setListeners) l(name);
}

/** The backend that runs jitted programs (and, but for an executor-only backend, eager operations too). */
export function getBackend(): BackendName {
  return current;
}

/** The backend that runs eager operations: the current one, or the one an executor-only backend runs beside. */
export function getEagerBackend(): BackendName {
  return providers.get(current)?.eagerBackend ?? current;
}

/** Every registered backend, whether it can run here, and what it runs on or why not. */
export async function availableBackends(): Promise<BackendInfo[]> {
  const out: BackendInfo[] = [];
  for (const [name, provider] of providers) {
    const probe = await provider.probe();
    out.push(probe.ok ? { name, available: true, detail: probe.detail } : { name, available: false, detail: probe.reason });
  }
  return out;
}
