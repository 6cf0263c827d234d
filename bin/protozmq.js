#!/usr/bin/env node
// The installed `protozmq` command: runs the compiled CLI from dist/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script).
"use strict";
const path = require("path");
const fs = require("fs");
const cli = path.join(__dirname, "..", "dist", "generator", "cli.js");
if (!fs.existsSync(cli)) {
  process.stderr.write("protozmq: dist/ is missing; run `npm run build` first\n");
  process.exit(2);
}
require(cli).runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
