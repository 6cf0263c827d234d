/**
 * Semantic checks protobufjs does not make (or makes only in some declaration orders). Each reports
 * `file:line:col` through the diagnostics list; none throws.
 */
import type { Diagnostic } from "../model/diagnostics";
import type { Enum, Field, Message, Model, ProtoFile, Service, SourcePos } from "../model/types";
import { allTypes } from "../model/model";
import { isEventService, isOnewayMethod } from "../model/options";

const MAX_FIELD_NUMBER = 536870911;
const FIRST_RESERVED = 19000;
const LAST_RESERVED = 19999;
const MAP_KEY_TYPES = new Set([
  "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string",
]);

export function validate(model: Model, displayPath: (file: string) => string, diagnostics: Diagnostic[]): void {
  const err = (pos: SourcePos, message: string): void => {
    diagnostics.push({ file: displayPath(pos.file), line: pos.line, col: pos.col, message });
  };
  for (const file of model.files) {
    if (file.wellKnown) continue;
    for (const t of allTypes(file)) {
      if (t.kind === "message") validateMessage(model, file, t, err);
      else validateEnum(file, t, err);
    }
    for (const s of file.services) validateService(model, s, err);
  }
}

type Report = (pos: SourcePos, message: string) => void;

function inRanges(n: number, ranges: readonly { start: number; end: number }[]): boolean {
  return ranges.some((r) => n >= r.start && n <= r.end);
}

function validateMessage(model: Model, file: ProtoFile, m: Message, err: Report): void {
  if (m.mapEntry) return;
  const byNumber = new Map<number, Field>();
  const byJson = new Map<string, Field>();
  for (const f of m.fields) {
    const where = `field "${f.name}" in ${m.fullName}`;
    if (f.number < 1 || f.number > MAX_FIELD_NUMBER) {
      err(f.pos, `field number ${f.number} of ${where} is out of range: must be 1 to ${MAX_FIELD_NUMBER}`);
    } else if (f.number >= FIRST_RESERVED && f.number <= LAST_RESERVED) {
      err(f.pos, `field number ${f.number} of ${where} is in 19000-19999, reserved for the protobuf implementation`);
    }
    const dup = byNumber.get(f.number);
    if (dup) err(f.pos, `field number ${f.number} of ${where} is already used by field "${dup.name}"`);
    else byNumber.set(f.number, f);
    if (inRanges(f.number, m.reservedRanges)) err(f.pos, `field number ${f.number} of ${where} is reserved`);
    if (m.reservedNames.includes(f.name)) err(f.pos, `field name "${f.name}" is reserved in ${m.fullName}`);
    if (file.syntax === "proto3") {
      const other = byJson.get(f.jsonName);
      if (other) {
        err(f.pos, `the JSON name "${f.jsonName}" of ${where} conflicts with field "${other.name}"`);
      } else byJson.set(f.jsonName, f);
      if (f.cardinality === "required") err(f.pos, `required fields are not allowed in proto3 (${where})`);
      if (f.type.kind === "message" && f.type.group) err(f.pos, `groups are not allowed in proto3 (${where})`);
      const enumType = f.map ? f.map.value : f.type;
      if (enumType.kind === "enum" && model.enum(enumType.typeName).closed) {
        err(f.pos, `enum ${enumType.typeName} is a proto2 (closed) enum and cannot be used in proto3 ${where}`);
      }
    }
    if (f.map && !MAP_KEY_TYPES.has(f.map.key)) err(f.pos, `map key type "${f.map.key}" is not allowed (${where})`);
    if (f.defaultText !== undefined && f.type.kind === "enum") {
      const e = model.enum(f.type.typeName);
      if (!e.values.some((v) => v.name === f.defaultText)) {
        err(f.pos, `default "${f.defaultText}" is not a value of enum ${e.fullName} (${where})`);
      }
    }
  }
}

function validateEnum(file: ProtoFile, e: Enum, err: Report): void {
  if (e.values.length === 0) {
    err(e.pos, `enum ${e.fullName} must have at least one value`);
    return;
  }
  if (file.syntax === "proto3" && e.values[0]!.number !== 0) {
    err(e.values[0]!.pos, `the first value of proto3 enum ${e.fullName} must be zero (it is the default)`);
  }
  const seen = new Map<number, string>();
  for (const v of e.values) {
    const prev = seen.get(v.number);
    if (prev !== undefined && !e.allowAlias) {
      err(v.pos, `"${v.name}" uses the same number ${v.number} as "${prev}" in enum ${e.fullName}; set option allow_alias = true; to allow it`);
    }
    if (prev === undefined) seen.set(v.number, v.name);
    if (inRanges(v.number, e.reservedRanges)) err(v.pos, `enum value number ${v.number} of ${v.name} is reserved in ${e.fullName}`);
    if (e.reservedNames.includes(v.name)) err(v.pos, `enum value name "${v.name}" is reserved in ${e.fullName}`);
  }
}

/** protozmq's service options: an event service's methods publish streams; oneway methods are unary. */
function validateService(model: Model, s: Service, err: Report): void {
  const events = isEventService(s, model);
  for (const m of s.methods) {
    const where = `method ${m.name} of ${s.fullName}`;
    if (events && (!m.serverStreaming || m.clientStreaming)) {
      err(m.pos, `${where} must be server-streaming (\`returns (stream T)\` with a single request), because the service sets option (protozmq.events) = true`);
    }
    if (isOnewayMethod(s, m, model) && (m.serverStreaming || m.clientStreaming)) {
      err(m.pos, `${where} sets option (protozmq.oneway) = true, so it must be unary (no \`stream\`)`);
    }
  }
}
