import { describe, expect, it } from 'vitest';
import { parseEngineEvent } from '../src/lib/events';

const status = {
  version: '0.1.0',
  paused: true,
  demo: false,
  dataDir: '/tmp/x',
  counts: { carts: 1, pendingSends: 0, conversations: 0, unread: 0, escalated: 0 },
  lastPollAt: null,
};

describe('parseEngineEvent', () => {
  it('accepts every known event type', () => {
    expect(parseEngineEvent({ type: 'status_changed', status })).toEqual({
      type: 'status_changed',
      status,
    });
    expect(parseEngineEvent({ type: 'paused_changed', paused: false })).toEqual({
      type: 'paused_changed',
      paused: false,
    });
    expect(parseEngineEvent({ type: 'settings_changed' })).toEqual({ type: 'settings_changed' });
    expect(parseEngineEvent({ type: 'cart_detected', cartId: 7 })).toEqual({
      type: 'cart_detected',
      cartId: 7,
    });
    expect(parseEngineEvent({ type: 'needs_owner', problem: 'token_expired' })).toEqual({
      type: 'needs_owner',
      problem: 'token_expired',
    });
    expect(parseEngineEvent({ type: 'inbound_message', conversationId: 2 })).toEqual({
      type: 'inbound_message',
      conversationId: 2,
    });
    expect(parseEngineEvent({ type: 'escalation', conversationId: 2, reason: 'asks for a human' })).toEqual({
      type: 'escalation',
      conversationId: 2,
      contactName: null,
      reason: 'asks for a human',
    });
    expect(
      parseEngineEvent({ type: 'escalation', conversationId: 2, contactName: 'Ana', reason: 'complaint' }),
    ).toEqual({ type: 'escalation', conversationId: 2, contactName: 'Ana', reason: 'complaint' });
    expect(parseEngineEvent({ type: 'draft_ready', conversationId: 2, draftId: 5 })).toEqual({
      type: 'draft_ready',
      conversationId: 2,
      draftId: 5,
    });
    expect(parseEngineEvent({ type: 'opted_out', conversationId: 2 })).toEqual({
      type: 'opted_out',
      conversationId: 2,
    });
    expect(
      parseEngineEvent({ type: 'cart_recovered', cartId: 3, contactName: 'Carla', total: '45.990,50 ARS' }),
    ).toEqual({ type: 'cart_recovered', cartId: 3, contactName: 'Carla', total: '45.990,50 ARS' });
    expect(parseEngineEvent({ type: 'navigate', route: { screen: 'inbox', conversationId: 4 } })).toEqual({
      type: 'navigate',
      route: { screen: 'inbox', conversationId: 4 },
    });
  });

  it('ignores unknown event types', () => {
    expect(parseEngineEvent({ type: 'brand_new_event', foo: 1 })).toBeNull();
    // Rust never emits a message status event: the UI no longer pretends it does.
    expect(parseEngineEvent({ type: 'message_status', messageId: 3, status: 'read' })).toBeNull();
    expect(parseEngineEvent({ type: 'navigate', route: { screen: 'nowhere' } })).toBeNull();
  });

  it('ignores malformed payloads without throwing', () => {
    for (const bad of [null, undefined, 42, 'navigate', [], {}, { type: 5 }]) {
      expect(parseEngineEvent(bad)).toBeNull();
    }
    expect(parseEngineEvent({ type: 'status_changed', status: { paused: 'yes' } })).toBeNull();
    expect(parseEngineEvent({ type: 'paused_changed' })).toBeNull();
    expect(parseEngineEvent({ type: 'cart_detected', cartId: '7' })).toBeNull();
    expect(parseEngineEvent({ type: 'draft_ready', conversationId: 2 })).toBeNull();
    expect(parseEngineEvent({ type: 'opted_out' })).toBeNull();
    expect(parseEngineEvent({ type: 'needs_owner' })).toBeNull();
    expect(parseEngineEvent({ type: 'needs_owner', problem: 'brand_new_problem' })).toBeNull();
    expect(parseEngineEvent({ type: 'cart_recovered', contactName: 'x' })).toBeNull();
  });
});
