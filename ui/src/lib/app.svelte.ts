// Application state shared by all screens: current screen, AppStatus, settings, notices.

import { api, type ApiError } from './api';
import { onEngineEvent, type EngineEvent } from './events';
import { browserLanguages, resolveLang, setLang, type MessageKey } from './i18n/index.svelte';
import { escalationLabel } from './inbox-labels';
import { needsOnboarding, rememberOnboardingSkipped } from './onboarding';
import { uiErrorOf, type UiError } from './ui-error';
import {
  toRoute,
  type AppStatus,
  type OwnerProblem,
  type Route,
  type Screen,
  type Setting,
} from './types';

export type NoticeKind = 'info' | 'success' | 'error';

export interface Notice {
  id: number;
  kind: NoticeKind;
  key: MessageKey;
  /** Extra text (a name, a reason already translated). */
  detail: string | null;
  /** What went wrong, when the notice is about a failed command (ErrorMessage.svelte). */
  error: UiError | null;
}

export const app = $state({
  screen: 'carts' as Screen,
  status: null as AppStatus | null,
  settings: [] as Setting[],
  notices: [] as Notice[],
  /** Bumped whenever lists (carts, conversations) may have changed. */
  dataVersion: 0,
  demoBusy: false,
  pauseBusy: false,
  /** The guided setup covers the screens (see onboardingVisible: never during the demo). */
  onboarding: false,
  /** A conversation the Inbox should open (a clicked notification), then clear. */
  focusConversation: null as number | null,
  /** A Settings section to bring into view, then clear. */
  focusSection: null as string | null,
});

/** Bumped by every navigation, so a first-run check that answers late does not pull the owner back. */
let navigations = 0;

let nextNoticeId = 1;

export function notify(
  kind: NoticeKind,
  key: MessageKey,
  detail: string | null = null,
  error: UiError | null = null,
): void {
  // The same notice twice in a row says nothing new (e.g. "no backend" from every screen).
  const same = (n: Notice) =>
    n.key === key && n.detail === detail && n.error?.code === error?.code && n.error?.detail === error?.detail;
  if (app.notices.some(same)) return;
  app.notices.push({ id: nextNoticeId++, kind, key, detail, error });
  if (app.notices.length > 4) app.notices.splice(0, app.notices.length - 4);
}

export function dismissNotice(id: number): void {
  const i = app.notices.findIndex((n) => n.id === id);
  if (i >= 0) app.notices.splice(i, 1);
}

/** Show a failed command: "no backend" gets its own explanation, everything else `fallback`. */
export function notifyError(err: ApiError, fallback: MessageKey): void {
  if (err.code === 'no_backend') notify('error', 'notice.noBackend');
  else notify('error', fallback, null, uiErrorOf(err));
}

/** Go to a screen; this also leaves the guided setup (it opens again from Settings). */
export function navigate(screen: Screen): void {
  navigations++;
  app.onboarding = false;
  app.screen = screen;
}

export function onboardingVisible(): boolean {
  return app.onboarding && !app.status?.demo;
}

/** Settings → "Guided setup". */
export function openOnboarding(): void {
  app.onboarding = true;
}

/** "Skip for now" (stays where the owner was) or the last page's "See my carts" (lands on Carts). */
export function closeOnboarding(how: 'skipped' | 'done'): void {
  rememberOnboardingSkipped(how);
  if (how === 'done') navigate('carts');
  else app.onboarding = false;
}

/** How many stores are connected, or null when the engine could not say. */
async function storeCount(): Promise<number | null> {
  try {
    return (await api.listStores()).length;
  } catch {
    return null;
  }
}

/** Open the guided setup when this is (still) a first run; see needsOnboarding. */
async function openOnboardingIfFirstRun(): Promise<void> {
  const before = navigations;
  const count = await storeCount();
  if (navigations === before && needsOnboarding(app.status?.demo, count)) app.onboarding = true;
}

export function settingValue(key: string): string | undefined {
  return app.settings.find((s) => s.key === key)?.value;
}

/** Apply the language from the `ui_language` setting (or the browser when "auto"). */
export function applyLanguage(setting: string | undefined = settingValue('ui_language')): void {
  setLang(resolveLang(setting, browserLanguages()));
}

export async function refreshStatus(): Promise<void> {
  try {
    app.status = await api.appStatus();
  } catch (err) {
    notifyError(err as ApiError, 'notice.statusFailed');
  }
}

export async function refreshSettings(): Promise<void> {
  try {
    app.settings = await api.settingsShow();
    applyLanguage();
  } catch (err) {
    notifyError(err as ApiError, 'notice.settingsFailed');
  }
}

/** Save one setting; resolves with null on success or the error to show by the field. */
export async function saveSetting(key: string, value: string): Promise<UiError | null> {
  try {
    app.settings = await api.settingsSet(key, value);
    if (key === 'ui_language') applyLanguage();
    return null;
  } catch (err) {
    const e = err as ApiError;
    if (e.code === 'no_backend') notifyError(e, 'notice.settingsFailed');
    return uiErrorOf(e);
  }
}

export async function startDemo(): Promise<void> {
  if (app.demoBusy) return;
  app.demoBusy = true;
  try {
    app.status = await api.startDemo();
    notify('success', 'notice.demoStarted');
    app.dataVersion++;
    navigate('carts');
  } catch (err) {
    const e = err as ApiError;
    notifyError(e, e.code === 'not_ready' ? 'notice.demoNotReady' : 'notice.demoFailed');
  } finally {
    app.demoBusy = false;
  }
}

/** Leave the demo: back to the owner's own data, and to the guided setup if nothing is set up yet. */
export async function endDemo(): Promise<void> {
  if (app.demoBusy) return;
  app.demoBusy = true;
  try {
    app.status = await api.stopDemo();
    // What the demo's customers did is not news about the owner's shop.
    app.notices = [];
    notify('success', 'demo.ended');
    app.dataVersion++;
  } catch (err) {
    notifyError(err as ApiError, 'demo.endFailed');
    return;
  } finally {
    app.demoBusy = false;
  }
  await openOnboardingIfFirstRun();
}

export async function setPaused(paused: boolean): Promise<void> {
  if (app.pauseBusy) return;
  app.pauseBusy = true;
  try {
    app.status = await api.setPaused(paused);
  } catch (err) {
    notifyError(err as ApiError, 'notice.pauseFailed');
  } finally {
    app.pauseBusy = false;
  }
}

export function handleEngineEvent(event: EngineEvent): void {
  switch (event.type) {
    case 'status_changed':
      app.status = event.status;
      break;
    case 'paused_changed':
      if (app.status) app.status.paused = event.paused;
      void refreshStatus();
      break;
    case 'settings_changed':
      void refreshSettings();
      void refreshStatus();
      break;
    case 'cart_detected':
    case 'inbound_message':
    case 'draft_ready':
    case 'opted_out':
      // Lists, the open conversation (its drafts, badges, ticks) and the results reload.
      app.dataVersion++;
      void refreshStatus();
      break;
    case 'escalation': {
      app.dataVersion++;
      const reason = escalationLabel(event.reason || null);
      notify('info', 'notice.escalation', event.contactName ? `${event.contactName}: ${reason}` : reason);
      void refreshStatus();
      break;
    }
    case 'cart_recovered':
      app.dataVersion++;
      notify(
        'success',
        'notice.recovered',
        [event.contactName, event.total].filter((x) => x && x.trim() !== '').join(' · ') || null,
      );
      void refreshStatus();
      break;
    case 'needs_owner':
      // Something only the owner can fix (the native notification says it too): say it in the
      // window and reload what shows it — the status (sending paused), the store list's state,
      // the message preview's template status.
      app.dataVersion++;
      notify('error', OWNER_PROBLEM_NOTICES[event.problem]);
      void refreshStatus();
      break;
    case 'navigate':
      void followRoute(event.route);
      break;
    default: {
      // Every event of the generated union is handled: a new one fails `npm run check` here.
      const unhandled: never = event;
      return unhandled;
    }
  }
}

/** The notice for each problem only the owner can fix (`needs_owner`). */
const OWNER_PROBLEM_NOTICES: Record<OwnerProblem, MessageKey> = {
  token_expired: 'notice.ownerProblem.token_expired',
  number_disconnected: 'notice.ownerProblem.number_disconnected',
  template_rejected: 'notice.ownerProblem.template_rejected',
  store_unreachable: 'notice.ownerProblem.store_unreachable',
  delivery_quarantined: 'notice.ownerProblem.delivery_quarantined',
  phone_inactive: 'coexistence.notify.phoneInactiveBody',
  store_opt_out_refused: 'notice.ownerProblem.store_opt_out_refused',
  spend_cap_reached: 'notice.ownerProblem.spend_cap_reached',
  coupon_refused: 'notice.ownerProblem.coupon_refused',
};

/** Goes where a route says: the screen, and the conversation or section in it. */
export function goTo(route: Route): void {
  navigate(route.screen);
  app.focusConversation = route.conversationId ?? null;
  app.focusSection = route.section ?? null;
}

/**
 * A clicked notification: the engine keeps the route until the window takes it, so a window
 * opened for it (or one already open, told by the event) goes there exactly once.
 */
export async function followRoute(told: Route | null = null): Promise<void> {
  let route: Route | null = null;
  try {
    route = toRoute(await api.takeRoute());
  } catch {
    route = null;
  }
  const target = route ?? told;
  if (target) goTo(target);
}

/**
 * First load: language from the browser right away, then status + settings together, and whether
 * the guided setup opens; once all have settled, `<body data-ready="true">` tells the end-to-end
 * test the UI is usable.
 */
export async function init(): Promise<() => void> {
  applyLanguage(undefined);
  let unlisten: () => void = () => {};
  try {
    unlisten = await onEngineEvent(handleEngineEvent);
  } catch (err) {
    console.error('could not subscribe to engine events', err);
  }
  const before = navigations;
  const [, , stores] = await Promise.allSettled([refreshStatus(), refreshSettings(), storeCount()]);
  const count = stores.status === 'fulfilled' ? stores.value : null;
  if (navigations === before) app.onboarding = needsOnboarding(app.status?.demo, count);
  // Opened by a clicked notification: go where it said.
  await followRoute();
  if (typeof document !== 'undefined') document.body.dataset.ready = 'true';
  return unlisten;
}
