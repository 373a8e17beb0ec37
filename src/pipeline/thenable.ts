/**
 * Whether a value user code returned is to be awaited: a native promise, or any other thenable (a
 * PromiseLike from another promise library, Promises/A+ §1.2). Plain values (a handler's result
 * array, a secret) stay on the synchronous path; `Promise.resolve` turns a thenable into a native
 * promise that settles once, whatever its `then` does.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  if (value instanceof Promise) return true;
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
