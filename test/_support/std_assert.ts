/**
 * The `@std/assert` names used by this project's tests, on top of `node:assert/strict`.
 *
 * JSR is unreachable on the project's machines (STACK.md), so `deno.json` maps `"@std/assert"` to this file.
 * Signatures follow `jsr:@std/assert@1`: switching back is the one-line import-map change
 * `"@std/assert": "jsr:@std/assert@^1"`.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Error thrown by every assertion in this module (the same class as `node:assert`'s). */
export const AssertionError = nodeAssert.AssertionError;

/** Throws if `expr` is falsy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError({ message: msg || "Expected expression to be truthy" });
}

/** Throws if `expr` is truthy. */
export function assertFalse(expr: unknown, msg = ""): void {
  if (expr) throw new AssertionError({ message: msg || "Expected expression to be falsy" });
}

/** Deep structural equality (typed arrays compared element-wise). */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Deep structural inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

/** `Object.is` equality. */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  nodeAssert.strictEqual(actual, expected, msg);
}

/** `|actual - expected| <= tolerance`, with `tolerance` defaulting to 1e-7 as in std. */
export function assertAlmostEquals(actual: number, expected: number, tolerance = 1e-7, msg?: string): void {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  if (!(delta <= tolerance)) {
    throw new AssertionError({
      message: msg ??
        `Expected actual: "${actual}" to be close to "${expected}": delta "${delta}" is greater than "${tolerance}"`,
    });
  }
}

/** `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) throw new AssertionError({ message: msg ?? `Expect ${actual} > ${expected}` });
}

/** `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) throw new AssertionError({ message: msg ?? `Expect ${actual} >= ${expected}` });
}

/** `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) throw new AssertionError({ message: msg ?? `Expect ${actual} < ${expected}` });
}

/** `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual <= expected)) throw new AssertionError({ message: msg ?? `Expect ${actual} <= ${expected}` });
}

/** Not `null` and not `undefined`. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === undefined || actual === null) {
    throw new AssertionError({ message: msg ?? `Expected actual: "${actual}" to not be null or undefined` });
  }
}

// deno-lint-ignore no-explicit-any
type AnyConstructor = new (...args: any[]) => any;

/** `actual instanceof expectedType`. */
export function assertInstanceOf<T extends AnyConstructor>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  if (!(actual instanceof expectedType)) {
    throw new AssertionError({ message: msg ?? `Expected object to be an instance of "${expectedType.name}"` });
  }
}

/** `expected.test(actual)`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  nodeAssert.match(actual, expected, msg);
}

/** `actual.includes(expected)`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError({ message: msg ?? `Expected actual: "${actual}" to contain: "${expected}"` });
  }
}

/** Throws unconditionally. */
export function fail(msg?: string): never {
  throw new AssertionError({ message: msg ?? "Failed assertion" });
}

function checkError(e: unknown, ErrorClass?: AnyConstructor, msgIncludes?: string, msg?: string): void {
  if (ErrorClass && !(e instanceof ErrorClass)) {
    throw new AssertionError({
      message: msg ??
        `Expected error to be instance of "${ErrorClass.name}", but was "${(e as Error)?.constructor?.name}": ${e}`,
    });
  }
  if (msgIncludes !== undefined && !(e instanceof Error && e.message.includes(msgIncludes))) {
    throw new AssertionError({
      message: msg ?? `Expected error message to include "${msgIncludes}", but got "${(e as Error)?.message}"`,
    });
  }
}

/** Runs `fn`, expects it to throw (an instance of `ErrorClass`, whose message includes `msgIncludes`); returns it. */
export function assertThrows<E extends AnyConstructor = ErrorConstructor>(
  fn: () => unknown,
  ErrorClass?: E,
  msgIncludes?: string,
  msg?: string,
): InstanceType<E> {
  try {
    fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes, msg);
    return e as InstanceType<E>;
  }
  throw new AssertionError({ message: msg ?? "Expected function to throw" });
}

/** Awaits `fn()`, expects it to reject (as {@linkcode assertThrows}); returns the error. */
export async function assertRejects<E extends AnyConstructor = ErrorConstructor>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: E,
  msgIncludes?: string,
  msg?: string,
): Promise<InstanceType<E>> {
  try {
    await fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes, msg);
    return e as InstanceType<E>;
  }
  throw new AssertionError({ message: msg ?? "Expected function to reject" });
}
