#!/usr/bin/env node
/**
 * A stand-in testee for checking the conformance gate itself (`npm run conformance -- --self-check`),
 * with no generated code: it reads just enough of each ConformanceRequest by hand.
 *
 *   fake-testee.js skip   answer `skipped` to every request (the runner calls that a pass; the gate must not)
 *   fake-testee.js echo   binary in, binary out: return the input bytes unchanged (passes the valid
 *                         binary round-trip tests, fails the rest); JSON: `parse_error`; text: `skipped`
 *
 * Protocol (conformance.proto, 3.21.12): on stdin a uint32 little-endian length, then that many
 * bytes of ConformanceRequest; on stdout the same framing around a ConformanceResponse.
 */
"use strict";
const fs = require("fs");

const mode = process.argv[2];
if (mode !== "skip" && mode !== "echo") {
  process.stderr.write("usage: fake-testee.js skip|echo\n");
  process.exit(2);
}

/** Read exactly n bytes from stdin, or null at a clean EOF before the first byte. */
function readExactly(n) {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let got;
    try {
      got = fs.readSync(0, buf, off, n - off, null);
    } catch (e) {
      if (e.code === "EAGAIN") continue;
      throw e;
    }
    if (got === 0) {
      if (off === 0) return null;
      throw new Error(`EOF after ${off} of ${n} bytes`);
    }
    off += got;
  }
  return buf;
}

function readVarint(buf, pos) {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [v, pos];
    shift += 7n;
  }
}

/** The request fields this fake needs: which payload it carries, the payload, and the output format. */
function parseRequest(buf) {
  const req = { payloadField: 0, payload: Buffer.alloc(0), outputFormat: 0 };
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 3) req.outputFormat = Number(v);
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const bytes = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      if (field === 1 || field === 2 || field === 7 || field === 8) {
        req.payloadField = field;
        req.payload = bytes;
      }
    } else {
      throw new Error(`unexpected wire type ${wire} in ConformanceRequest`);
    }
  }
  return req;
}

function lengthDelimited(field, bytes) {
  const out = [(field << 3) | 2];
  let n = bytes.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.concat([Buffer.from(out), bytes]);
}

const SKIPPED = 5;
const PARSE_ERROR = 1;
const PROTOBUF_PAYLOAD = 3;

function respond(req) {
  if (mode === "skip") return lengthDelimited(SKIPPED, Buffer.from("fake testee skips everything"));
  // echo: text format is skipped, as the real testees do
  if (req.payloadField === 8 || req.outputFormat === 4) return lengthDelimited(SKIPPED, Buffer.from("no text format"));
  // protobuf input with protobuf output (the failure-set request included: its payload is empty)
  if (req.payloadField === 1 && req.outputFormat === 1) return lengthDelimited(PROTOBUF_PAYLOAD, req.payload);
  return lengthDelimited(PARSE_ERROR, Buffer.from("fake testee parses binary only"));
}

for (;;) {
  const head = readExactly(4);
  if (head === null) break;
  const body = readExactly(head.readUInt32LE(0));
  if (body === null) throw new Error("EOF inside a request");
  const res = respond(parseRequest(body));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(res.length, 0);
  fs.writeSync(1, Buffer.concat([len, res]));
}
