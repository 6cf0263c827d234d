#!/usr/bin/env node
// Generate TypeScript and Python from the conformance suite's protos (test/conformance/protos/) with
// protozmq's own CLI, into a git-ignored directory:
//
//   node test/conformance/generate.js [--out DIR] [ts|python ...]   default DIR: .cache/conformance/generated
//
// writes DIR/ts/{conformance,test_messages_proto2,test_messages_proto3}.ts (+ DIR/ts/.complete) and
// DIR/python/*_pb2.py(i) (+ DIR/python/.complete). Each language is a separate generator run, so a
// broken emitter for one does not stop the other's testee. The testees (run-testee,
// run-testee-python) call this when their .complete is missing; `npm run conformance` calls it every
// time, so the suite always runs the current generator. Progress goes to stderr only: a testee's
// stdout belongs to the runner's protocol.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const PROTOS = path.join(__dirname, 'protos');
const DEFAULT_OUT = path.join(ROOT, '.cache', 'conformance', 'generated');
/** The suite's schemas, as the runner names them: flat, so the Python modules do not land in `google.protobuf`. */
const FILES = ['conformance.proto', 'test_messages_proto2.proto', 'test_messages_proto3.proto'];
const LANGS = { ts: '--ts-out', python: '--py-out' };

/** Generate one language into `out/<lang>`; throws with the generator's messages on failure. */
function generateOne(lang, out = DEFAULT_OUT) {
  const dir = path.join(out, lang);
  const marker = path.join(dir, '.complete');
  fs.rmSync(marker, { force: true });
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const args = [
    path.join(ROOT, 'generator', 'cli.ts'), 'generate',
    ...FILES.map((f) => path.join(PROTOS, f)),
    '-I', PROTOS,
    LANGS[lang], dir,
  ];
  // The CLI reads protozmq.config.json from its working directory; run it where there is none.
  const r = spawnSync(tsx, args, { cwd: PROTOS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`cannot run ${tsx}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`protozmq generate ${LANGS[lang]} failed for ${path.relative(ROOT, PROTOS)} (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  return dir;
}

/** Generate several languages; returns `{lang: errorMessage}` for those that failed. */
function generate(langs = Object.keys(LANGS), out = DEFAULT_OUT) {
  const errors = {};
  for (const lang of langs) {
    try {
      generateOne(lang, out);
    } catch (e) {
      errors[lang] = e.message;
    }
  }
  return errors;
}

module.exports = { generate, generateOne, DEFAULT_OUT, FILES, PROTOS };

if (require.main === module) {
  const args = process.argv.slice(2);
  let out = DEFAULT_OUT;
  const langs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = path.resolve(args[++i]);
    else if (LANGS[args[i]]) langs.push(args[i]);
    else {
      process.stderr.write(`usage: generate.js [--out DIR] [${Object.keys(LANGS).join('|')} ...]\n`);
      process.exit(2);
    }
  }
  const errors = generate(langs.length > 0 ? langs : Object.keys(LANGS), out);
  for (const [lang, msg] of Object.entries(errors)) process.stderr.write(`conformance: ${lang}: ${msg}\n`);
  if (Object.keys(errors).length > 0) process.exit(1);
  process.stderr.write(`conformance: generated ${path.relative(process.cwd(), out) || out}\n`);
}
