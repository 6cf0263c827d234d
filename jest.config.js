// Jest configuration: TypeScript tests under test/, compiled by ts-jest.
//
// ts-jest 29.4 deprecates its own `isolatedModules` option in favour of the TypeScript compiler
// option of the same name, so it is passed to ts-jest's default preset as a tsconfig override
// (the rest of tsconfig.json still applies): each file is transpiled on its own, fast and without
// type checking. Type checking is `npm run typecheck`'s job.
'use strict';

const { createDefaultPreset } = require('ts-jest');

/** @type {import('jest').Config} */
module.exports = {
  ...createDefaultPreset({ tsconfig: { isolatedModules: true } }),
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  moduleNameMapper: {
    '^protozmq$': '<rootDir>/runtime/ts/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
