/**
 * Finds fields a validator never looked at.
 *
 * kubernetes-models' validators are compiled JSON Schema without `additionalProperties: false`,
 * so a misspelt field (`readOnlyRootFileSystem`) passes silently and the API server would drop
 * it. The compiled code reads every property its schema knows (`data.hostPort === undefined`
 * checks included), so running it over a proxy that records each read tells exactly which
 * fields the schema knows. An object the validator never looked into (an opaque,
 * schema-less value) is not judged.
 */

interface Seen {
  read: Set<string>;
  touched: boolean;
}

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Marks `target` as looked into and, for a string key, that field as read. */
function noteRead(seen: WeakMap<object, Seen>, target: object, key?: string | symbol): void {
  let state = seen.get(target);
  if (!state) {
    state = { read: new Set(), touched: false };
    seen.set(target, state);
  }
  state.touched = true;
  if (typeof key === 'string') state.read.add(key);
}

/** A wrapper that hands out proxies of objects (one per object), recording every read in `seen`. */
function recordingWrapper(seen: WeakMap<object, Seen>): (value: unknown) => unknown {
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const existing = proxies.get(value);
    if (existing) return existing;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        noteRead(seen, target, key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        noteRead(seen, target, key);
        return Reflect.has(target, key);
      },
      getOwnPropertyDescriptor(target, key) {
        noteRead(seen, target, key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
      ownKeys(target) {
        noteRead(seen, target);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return wrap;
}

/** The JSON pointers of the fields in `data` that were never read inside an object that was looked into. */
function unreadFields(data: object, seen: WeakMap<object, Seen>): string[] {
  const unknown: string[] = [];
  const walk = (value: unknown, pointer: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${pointer}/${index}`));
      return;
    }
    if (!isPlainObject(value) && !(typeof value === 'object' && value !== null)) return;
    const state = seen.get(value);
    if (!state?.touched) return;
    for (const key of Object.keys(value)) {
      const child = `${pointer}/${key}`;
      if (!state.read.has(key)) unknown.push(child);
      else walk((value as Plain)[key], child);
    }
  };
  walk(data, '');
  return unknown;
}

/** Runs `validate` over a recording proxy of `data` and returns the JSON pointers of unread fields. */
export function findUnknownFields(data: object, validate: (proxied: object) => void): string[] {
  const seen = new WeakMap<object, Seen>();
  validate(recordingWrapper(seen)(data) as object);
  return unreadFields(data, seen);
}
