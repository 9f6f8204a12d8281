/**
 * Four projects: `unit` (specs beside the code), `e2e` (test/, real
 * PostgreSQL and real processes), `browser` (test/browser/, the dashboard in
 * Debian's Chromium driven by Playwright; `make test-browser`) and `image`
 * (test/image/, the built container image under podman; `make test-image`
 * builds it and runs this project).
 */
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  transform: { '^.+\\.(t|j|mj)s$': swcTransform },
  // Several dependencies ship ES modules only (NestJS 12 among them) and Jest's
  // CommonJS runtime cannot require them, so dependencies are compiled too
  // (SWC is fast, and Jest caches the result).
  transformIgnorePatterns: [],
  moduleNameMapper: {
    '^@app/(config|db|ingestion|slack|metrics|observability)$': '<rootDir>/libs/$1/src',
    '^@app/(config|db|ingestion|slack|metrics|observability)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
};

module.exports = {
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], testPathIgnorePatterns: ['<rootDir>/test/image/', '<rootDir>/test/browser/'] },
    // Playwright and axe ship CommonJS; compiling them for nothing would cost a minute on a cold cache.
    { ...shared, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.e2e-spec.ts'], transformIgnorePatterns: ['/node_modules/(playwright-core|@axe-core|axe-core)/'] },
    { ...shared, displayName: 'image', testMatch: ['<rootDir>/test/image/**/*.e2e-spec.ts'] },
  ],
};
