// The one Node API tests/frozen-prototype.test.ts uses (the UI has no @types/node): a script run
// in a realm of its own, whose Object.prototype can be frozen without touching the test runner's.
declare module 'node:vm' {
  export function runInNewContext(code: string): unknown;
}
