// The wire form of an SDK shape. The SDK's TypeScript types describe what a client holds after
// deserialising: timestamps as Date, every member `| undefined`. On the wire (AWS JSON 1.1) a
// timestamp is epoch seconds, and once core/api/protocol.ts has validated a request against the
// model its required members are present. Wire<T> says exactly that, recursively.

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type OptionalKeys<T> = Exclude<keyof T, RequiredKeys<T>>;

export type Wire<T> = T extends Date
  ? number
  : T extends string | number | boolean | bigint | Uint8Array
    ? T
    : T extends readonly (infer E)[]
      ? Wire<E>[]
      : T extends object
        ? WireObject<T>
        : T;

type WireObject<T> = {
  [K in RequiredKeys<T>]: Wire<Exclude<T[K], undefined>>;
} & {
  [K in OptionalKeys<T>]?: Wire<Exclude<T[K], undefined>>;
} extends infer O
  ? { [K in keyof O]: O[K] }
  : never;

/** The members of `from` named in `keys` that are set, to spread over a document. */
export function pickDefined<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}
