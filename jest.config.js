/**
 * Five projects: `unit` (specs beside the code), `e2e` (test/, real
 * PostgreSQL and real processes), `browser` (test/browser/, the dashboard in
 * Debian's Chromium driven by Playwright; `make test-browser`), `image`
 * (test/image/, the built container image under podman; `make test-image`
 * builds it and runs this project) and `chart` (test/chart/, the rendered
 * Helm chart against the code it deploys; `make test-chart`).
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

// Only the projects that talk to PostgreSQL start it: Jest runs a project's
// global setup when at least one of its tests runs (once per run, however many
// projects name it), so `--selectProjects unit` starts no database.
const withDatabase = {
  ...shared,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};

module.exports = {
  testTimeout: 120_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    {
      ...withDatabase,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['<rootDir>/test/image/', '<rootDir>/test/browser/'],
    },
    // Playwright and axe ship CommonJS; compiling them for nothing would cost a minute on a cold cache.
    {
      ...withDatabase,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.e2e-spec.ts'],
      transformIgnorePatterns: ['/node_modules/(playwright-core|@axe-core|axe-core)/'],
    },
    { ...withDatabase, displayName: 'image', testMatch: ['<rootDir>/test/image/**/*.e2e-spec.ts'] },
    // The chart's rendered manifests against the code and documents (make test-chart); no database.
    { ...shared, displayName: 'chart', testMatch: ['<rootDir>/test/chart/**/*.spec.ts'] },
  ],
};
