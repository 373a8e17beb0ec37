// biome-ignore-all lint/suspicious/noThenProperty: thenables that are not native promises are what these helpers make
// Thenables that are not native promises: what an older promise library hands back (then() only).

/**
 * A PromiseLike whose `then` calls `start` with the callbacks it was given, and nothing else. Not
 * chainable, like the thinnest libraries: whoever awaits it only needs the callbacks called.
 */
export function thenable<T>(
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
): PromiseLike<T> {
  return {
    then(onFulfilled, onRejected) {
      start(
        (value) => onFulfilled?.(value),
        (error) => onRejected?.(error),
      );
      return undefined as unknown as PromiseLike<never>;
    },
  };
}

/** A PromiseLike fulfilled with `value` a few milliseconds later. */
export function fulfilsLater<T>(value: T, ms = 5): PromiseLike<T> {
  return thenable((resolve) => setTimeout(() => resolve(value), ms));
}

/** A PromiseLike rejected with `error` a few milliseconds later. */
export function rejectsLater(error: unknown, ms = 5): PromiseLike<never> {
  return thenable((_resolve, reject) => setTimeout(() => reject(error), ms));
}
