// Which write-only secrets are set, shared by every field that writes one (WhatsApp token and
// app secret, the assistant's API key). Values never come here: only `set` and where from.

import { api, type ApiError } from './api';
import type { SecretName, SecretState } from './types';

export const secrets = $state({
  states: [] as SecretState[],
  loaded: false,
  /** Why the states could not be read (the fields still work; their state shows as unknown). */
  error: null as ApiError | null,
});

let inFlight: Promise<void> | null = null;

/** Read the states once (concurrent callers share the request); `force` reads them again. */
export function loadSecretStates(force = false): Promise<void> {
  if (inFlight) return inFlight;
  if (secrets.loaded && !force) return Promise.resolve();
  inFlight = (async () => {
    try {
      secrets.states = await api.secretStates();
      secrets.error = null;
    } catch (err) {
      secrets.error = err as ApiError;
    } finally {
      secrets.loaded = true;
      inFlight = null;
    }
  })();
  return inFlight;
}

/** Save one secret; rejects with the ApiError. The answer refreshes every state. */
export async function saveSecret(name: SecretName, value: string): Promise<void> {
  secrets.states = await api.secretSet(name, value);
  secrets.error = null;
  secrets.loaded = true;
}

export type SecretDisplay = 'set' | 'unset' | 'env' | 'unknown';

export function secretDisplay(name: SecretName): { state: SecretDisplay; envVar: string } {
  const found = secrets.states.find((s) => s.name === name);
  const envVar = found?.envVar ?? `RECUPERO_${name.toUpperCase()}`;
  if (!found) return { state: 'unknown', envVar };
  if (found.set && found.source === 'env') return { state: 'env', envVar };
  return { state: found.set ? 'set' : 'unset', envVar };
}

/** Tests: forget what was loaded. */
export function resetSecretStates(): void {
  secrets.states = [];
  secrets.loaded = false;
  secrets.error = null;
  inFlight = null;
}
