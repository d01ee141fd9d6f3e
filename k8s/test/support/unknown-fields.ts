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

/** Runs `validate` over a recording proxy of `data` and returns the JSON pointers of unread fields. */
export function findUnknownFields(data: object, validate: (proxied: object) => void): string[] {
  const seen = new WeakMap<object, Seen>();
  const proxies = new WeakMap<object, object>();

  const stateOf = (target: object): Seen => {
    let state = seen.get(target);
    if (!state) {
      state = { read: new Set(), touched: false };
      seen.set(target, state);
    }
    return state;
  };

  const wrap = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const existing = proxies.get(value);
    if (existing) return existing;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const state = stateOf(target);
        state.touched = true;
        if (typeof key === 'string') state.read.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        const state = stateOf(target);
        state.touched = true;
        if (typeof key === 'string') state.read.add(key);
        return Reflect.has(target, key);
      },
      getOwnPropertyDescriptor(target, key) {
        const state = stateOf(target);
        state.touched = true;
        if (typeof key === 'string') state.read.add(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
      ownKeys(target) {
        stateOf(target).touched = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };

  validate(wrap(data) as object);

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
