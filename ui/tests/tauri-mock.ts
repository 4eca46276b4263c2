// What the mocked `@tauri-apps/api` modules answer in the UI tests (the mocks themselves are
// registered once, for every test file, in setup.ts). A test file installs its fake backend with
// `tauri.invoke = …`; a file that installs none gets the real modules, as outside Tauri.

/** Answers the UI's `invoke` calls in place of the Rust commands. */
type Invoke = (cmd: string, args?: Record<string, unknown>) => unknown;

export const tauri: {
  /** The fake backend; null: the real `@tauri-apps/api` answers. */
  invoke: Invoke | null;
  /** Delivers an engine event to the UI while it is subscribed; null when it is not. */
  emit: ((payload: unknown) => void) | null;
  /** The event names the UI subscribed to, in order. */
  listened: string[];
} = { invoke: null, emit: null, listened: [] };
