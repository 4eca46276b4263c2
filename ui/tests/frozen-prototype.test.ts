// The window freezes Object.prototype (tauri.conf.json's `freezePrototype`). Moment.js, under the
// holiday data set, failed to load there as a strict-mode module, so the hours grid offered no
// public holidays (seen in the real window, tests/integration/e2e_onboarding.rs). The build's
// frozenPrototypeSafeMoment makes it load: checked here in a realm whose prototype is frozen.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import source from 'moment/moment.js?raw';
import { frozenPrototypeSafeMoment } from '../vite.config';

/** Where the bundler finds moment (what the plugin looks for). */
const MOMENT = '/app/ui/node_modules/moment/moment.js';

/** Moment's code run as a strict-mode module would run it, in a realm with a frozen prototype. */
function loadFrozen(code: string): { format: string } {
  const script = `'use strict';
    Object.freeze(Object.prototype);
    Object.freeze(Function.prototype);
    const module = { exports: {} };
    (function (module, exports) { ${code} \n}).call(undefined, module, module.exports);
    const moment = module.exports;
    ({ format: moment.utc('2026-12-25T12:00:00Z').format('YYYY-MM-DD') })`;
  return runInNewContext(script) as { format: string };
}

function transformed(): string {
  const plugin = frozenPrototypeSafeMoment();
  const transform = plugin.transform as (code: string, id: string) => { code: string } | null;
  const out = transform.call({}, source, MOMENT);
  if (!out) throw new Error('moment was not transformed');
  return out.code;
}

describe('moment under a frozen Object.prototype', () => {
  it('fails to load as it is (the defect)', () => {
    expect(() => loadFrozen(source)).toThrow(/read.?only|Cannot assign/i);
  });

  it('loads and formats once the build defines toString/valueOf instead of assigning them', () => {
    expect(loadFrozen(transformed()).format).toBe('2026-12-25');
  });

  it('leaves other modules alone', () => {
    const transform = frozenPrototypeSafeMoment().transform as (code: string, id: string) => unknown;
    expect(transform.call({}, 'a.toString = b;', '/x/node_modules/other/index.js')).toBeNull();
  });
});
