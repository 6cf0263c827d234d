#!/usr/bin/env node
// Create or refresh the repo's Python virtualenv, .venv, for tests and tools.
//
//   node scripts/venv.js        (or: const { ensureVenv } = require('./venv'))
//
// Idempotent and quiet when nothing changed:
//   1. `python3 -m venv .venv` if .venv/bin/python is missing (PYTHON overrides `python3`).
//   2. `pip install -r requirements-dev.txt` and `pip install -e runtime/python`, only when the
//      stamp file .venv/.protozmq-stamp differs from a hash of those two inputs (plus the venv's
//      Python version); the stamp is written after both installs succeed.
// Never reads stdin, so it runs the same under CI=true with no terminal. Plain CommonJS, no deps.
'use strict';

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const STAMP_NAME = '.protozmq-stamp';
const INPUTS = ['requirements-dev.txt', path.join('runtime', 'python', 'pyproject.toml')];

function log(message) {
  console.log(`[venv] ${message}`);
}

// Run a command with no stdin and inherited output; throw if it fails.
function run(command, args, options = {}) {
  log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  if (result.error) throw new Error(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

function pythonVersion(python) {
  const result = spawnSync(python, ['-c', 'import sys; print(sys.version)'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout.trim() : null;
}

// The hash that the stamp must match: the dependency inputs and the venv's interpreter.
function inputsHash(root, version) {
  const hash = crypto.createHash('sha256');
  for (const name of INPUTS) {
    hash.update(`${name}\0`);
    hash.update(fs.readFileSync(path.join(root, name)));
    hash.update('\0');
  }
  hash.update(`python ${version}\n`);
  return hash.digest('hex');
}

/**
 * Make sure `<root>/.venv` exists with requirements-dev.txt and runtime/python installed.
 * Returns the absolute path of the venv's python. Throws with a readable message on failure.
 */
function ensureVenv({ root = ROOT, python = process.env.PYTHON || 'python3' } = {}) {
  const venv = path.join(root, '.venv');
  const venvPython = path.join(venv, 'bin', 'python');
  const stampPath = path.join(venv, STAMP_NAME);

  let version = fs.existsSync(venvPython) ? pythonVersion(venvPython) : null;
  if (version === null) {
    if (fs.existsSync(venv)) log(`${venv} is missing a working python; recreating it`);
    else log(`creating ${venv}`);
    run(python, ['-m', 'venv', '--clear', venv], { cwd: root });
    version = pythonVersion(venvPython);
    if (version === null) throw new Error(`${venvPython} does not run after creating the venv`);
  }

  const want = inputsHash(root, version);
  const have = fs.existsSync(stampPath) ? fs.readFileSync(stampPath, 'utf8').trim() : '';
  if (have === want) {
    log(`.venv is up to date (${INPUTS.join(', ')} unchanged)`);
    return venvPython;
  }

  log(have ? 'dependency inputs changed; reinstalling' : 'installing Python dependencies');
  fs.rmSync(stampPath, { force: true });
  run(venvPython, ['-m', 'pip', 'install', '-r', 'requirements-dev.txt'], { cwd: root });
  run(venvPython, ['-m', 'pip', 'install', '-e', path.join('runtime', 'python')], { cwd: root });
  fs.writeFileSync(stampPath, `${want}\n`);
  log(`wrote ${path.relative(root, stampPath)}`);
  return venvPython;
}

module.exports = { ensureVenv, inputsHash };

if (require.main === module) {
  try {
    ensureVenv();
  } catch (err) {
    console.error(`[venv] error: ${err.message}`);
    process.exit(1);
  }
}
