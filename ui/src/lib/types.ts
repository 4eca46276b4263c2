// Shapes of the data the Rust side sends over IPC (camelCase, as Tauri serialises them).

export interface Counts {
  carts: number;
  pendingSends: number;
  conversations: number;
  unread: number;
  escalated: number;
}

export interface AppStatus {
  version: string;
  paused: boolean;
  demo: boolean;
  dataDir: string;
  counts: Counts;
  /** RFC 3339, UTC; null until the first store poll. */
  lastPollAt: string | null;
}

export interface Setting {
  key: string;
  value: string;
  default: string;
  description: string;
  /** "duration" | "hours" | "timezone" | "percent" | "bool" | "int" | "text" | "language" | … */
  kind: string;
}

export interface Cart {
  id: number;
  externalId: string;
  store: string;
  firstName: string | null;
  phone: string | null;
  phoneProblem: string | null;
  /** Already formatted by the server. */
  total: string;
  currency: string;
  status: string;
  /** RFC 3339, UTC. */
  detectedAt: string;
}

export interface Conversation {
  id: number;
  contactName: string | null;
  phone: string;
  lastMessage: string | null;
  lastAt: string | null;
  unread: number;
  escalated: boolean;
}

/** Every rejected command resolves to this shape (see api.ts). */
export interface ApiError {
  code: string;
  message: string;
}

export type Screen = 'carts' | 'inbox' | 'results' | 'settings';
export const SCREENS: readonly Screen[] = ['carts', 'inbox', 'results', 'settings'];

export function isScreen(value: unknown): value is Screen {
  return typeof value === 'string' && (SCREENS as readonly string[]).includes(value);
}
