/**
 * protozmq's TypeScript runtime. Generated modules import everything they need from here
 * (`import { BinaryReader, ... } from "protozmq"`), and so can applications.
 *
 * - `codec/`: binary and JSON encoding of generated messages.
 * - the other modules: RPC over ZeroMQ (status, metadata, errors, channel, server, ...).
 *
 * Relative re-exports carry the `.js` suffix so the compiled declarations also resolve for ESM
 * consumers (`moduleResolution: nodenext`).
 */
export * from "./codec/index.js";
export * from "./status.js";
export * from "./metadata.js";
export * from "./errors.js";
export * from "./call-options.js";
export * from "./protocol.js";
export * from "./stream.js";
export * from "./channel.js";
export * from "./server.js";
export * from "./events.js";
