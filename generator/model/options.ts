/**
 * protozmq's own schema options (generator/parse/include/protozmq/options.proto), read from the IR:
 * `option (protozmq.events) = true;` on a service, `option (protozmq.oneway) = true;` on a method.
 *
 * The IR keeps custom option names as written: `(protozmq.oneway)`, `(.protozmq.oneway)`, or, in a
 * file whose package is `protozmq` or below it, `(oneway)`. Names are resolved the way protoc does,
 * against the element's scope and the extensions the model declares, so each spelling means the same.
 */
import type { Extension, Message, Method, Model, OptionValue, Options, Service } from "./types";

/** The protozmq options, by the name they have in `package protozmq`. */
export type ProtozmqOption = "events" | "oneway";

const extensionCache = new WeakMap<Model, ReadonlySet<string>>();

/** Full names of every extension in the model (computed once per model). */
function extensionNames(model: Model): ReadonlySet<string> {
  let names = extensionCache.get(model);
  if (names !== undefined) return names;
  const out = new Set<string>();
  const add = (xs: readonly Extension[]): void => {
    for (const x of xs) out.add(x.scope === "" ? x.name : `${x.scope}.${x.name}`);
  };
  const walk = (ms: readonly Message[]): void => {
    for (const m of ms) {
      add(m.extensions);
      walk(m.messages);
    }
  };
  for (const f of model.files) {
    add(f.extensions);
    walk(f.messages);
  }
  extensionCache.set(model, (names = out));
  return names;
}

/**
 * The full name a custom option key refers to: `(.a.b)` is absolute; `(a.b)` is looked up in `scope`,
 * then in each enclosing scope (protoc's rule). Keys with a sub-field path (`(a).b`) and plain
 * options (`deprecated`) give undefined. When no declared extension matches (the schema did not
 * import the options file), the name is taken as written.
 */
export function customOptionName(key: string, scope: string, model?: Model): string | undefined {
  const m = /^\(([^()]+)\)$/.exec(key);
  if (m === null) return undefined;
  const name = m[1]!.trim();
  if (name.startsWith(".")) return name.slice(1);
  if (model !== undefined) {
    const known = extensionNames(model);
    const parts = scope === "" ? [] : scope.split(".");
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), name].join(".");
      if (known.has(candidate)) return candidate;
    }
  }
  return name;
}

/** True when `options` (of the element named `scope`) set `(protozmq.<option>) = true`. */
export function protozmqOption(options: Options, option: ProtozmqOption, scope: string, model?: Model): boolean {
  const wanted = `protozmq.${option}`;
  for (const [key, value] of Object.entries(options)) {
    if (customOptionName(key, scope, model) === wanted) return isTrue(value);
  }
  return false;
}

function isTrue(value: OptionValue): boolean {
  return value === true || value === "true";
}

/** An event service: `option (protozmq.events) = true;`. */
export function isEventService(service: Pick<Service, "options" | "fullName">, model?: Model): boolean {
  return protozmqOption(service.options, "events", service.fullName, model);
}

/** A one-way method: `option (protozmq.oneway) = true;`. */
export function isOnewayMethod(service: Pick<Service, "fullName">, method: Pick<Method, "options" | "name">, model?: Model): boolean {
  return protozmqOption(method.options, "oneway", `${service.fullName}.${method.name}`, model);
}
