// The single `engine-event` channel from the Rust side, as a typed discriminated union (the
// union itself is generated from Rust's `EngineEvent`: see generated.ts).

import type { AppStatus, EngineEvent, OwnerProblem } from './types';
import { toRoute } from './types';
import { listen } from '@tauri-apps/api/event';
import { hasBackend } from './api';

export type { EngineEvent } from './types';

export const ENGINE_EVENT = 'engine-event';

/** The problems only the owner can fix, as `needs_owner` names them (a Record over the generated
 * union, so a problem Rust adds fails `npm run check` until it is listed here). */
const OWNER_PROBLEMS: Record<OwnerProblem, true> = {
  token_expired: true,
  number_disconnected: true,
  template_rejected: true,
  store_unreachable: true,
  delivery_quarantined: true,
  phone_inactive: true,
  store_opt_out_refused: true,
  spend_cap_reached: true,
  coupon_refused: true,
};

function isOwnerProblem(v: unknown): v is OwnerProblem {
  return typeof v === 'string' && Object.hasOwn(OWNER_PROBLEMS, v);
}

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
    case 'needs_owner':
      return isOwnerProblem(p.problem) ? { type: 'needs_owner', problem: p.problem } : null;
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
