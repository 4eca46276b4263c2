// The single `engine-event` channel from the Rust side, as a typed discriminated union.

import type { AppStatus, Route } from './types';
import { toRoute } from './types';
import { listen } from '@tauri-apps/api/event';
import { hasBackend } from './api';

export const ENGINE_EVENT = 'engine-event';

export type EngineEvent =
  | { type: 'status_changed'; status: AppStatus }
  | { type: 'paused_changed'; paused: boolean }
  | { type: 'settings_changed' }
  | { type: 'cart_detected'; cartId: number }
  | { type: 'message_status'; [field: string]: unknown }
  | { type: 'inbound_message'; conversationId: number }
  | { type: 'escalation'; conversationId: number; contactName: string | null; reason: string }
  | { type: 'draft_ready'; conversationId: number; draftId: number }
  | { type: 'opted_out'; conversationId: number }
  | { type: 'cart_recovered'; cartId: number; contactName: string | null; total: string }
  | { type: 'navigate'; route: Route };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

function isStatus(v: unknown): v is AppStatus {
  return (
    isRecord(v) &&
    typeof v.paused === 'boolean' &&
    typeof v.demo === 'boolean' &&
    typeof v.version === 'string' &&
    isRecord(v.counts)
  );
}

/**
 * Validate an event payload. Returns null for unknown types or malformed payloads, so a newer
 * backend can add events without breaking an older UI.
 */
export function parseEngineEvent(payload: unknown): EngineEvent | null {
  if (!isRecord(payload) || typeof payload.type !== 'string') return null;
  const p = payload;
  switch (p.type) {
    case 'status_changed':
      return isStatus(p.status) ? { type: 'status_changed', status: p.status } : null;
    case 'paused_changed':
      return typeof p.paused === 'boolean' ? { type: 'paused_changed', paused: p.paused } : null;
    case 'settings_changed':
      return { type: 'settings_changed' };
    case 'cart_detected':
      return typeof p.cartId === 'number' ? { type: 'cart_detected', cartId: p.cartId } : null;
    case 'message_status':
      return { ...p, type: 'message_status' };
    case 'inbound_message':
      return typeof p.conversationId === 'number'
        ? { type: 'inbound_message', conversationId: p.conversationId }
        : null;
    case 'escalation':
      return typeof p.conversationId === 'number'
        ? {
            type: 'escalation',
            conversationId: p.conversationId,
            contactName: optionalString(p.contactName),
            reason: typeof p.reason === 'string' ? p.reason : '',
          }
        : null;
    case 'draft_ready':
      return typeof p.conversationId === 'number' && typeof p.draftId === 'number'
        ? { type: 'draft_ready', conversationId: p.conversationId, draftId: p.draftId }
        : null;
    case 'opted_out':
      return typeof p.conversationId === 'number'
        ? { type: 'opted_out', conversationId: p.conversationId }
        : null;
    case 'cart_recovered':
      return typeof p.cartId === 'number'
        ? {
            type: 'cart_recovered',
            cartId: p.cartId,
            contactName: optionalString(p.contactName),
            total: typeof p.total === 'string' ? p.total : '',
          }
        : null;
    case 'navigate': {
      const route = toRoute(p.route);
      return route ? { type: 'navigate', route } : null;
    }
    default:
      return null;
  }
}

/**
 * Subscribe to engine events. Outside Tauri this is a no-op. Returns an unsubscribe function.
 * Handler exceptions are caught so one bad event never breaks the subscription.
 */
export async function onEngineEvent(handler: (event: EngineEvent) => void): Promise<() => void> {
  if (!hasBackend()) return () => {};
  return listen<unknown>(ENGINE_EVENT, (e) => {
    const event = parseEngineEvent(e.payload);
    if (!event) return;
    try {
      handler(event);
    } catch (err) {
      console.error('engine-event handler failed', err);
    }
  });
}
