/**
 * The chart on a real API server (scripts/test-cluster.sh starts it and runs this config). Kept
 * apart from the root config: these tests need that cluster, and no PostgreSQL of their own.
 */
const root = require('../../jest.config.js');
const { displayName: _unit, testMatch: _unitMatch, ...shared } = root.projects[0];

module.exports = {
  ...shared,
  displayName: 'cluster',
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
  // Each step builds on the cluster state the previous one left.
  testTimeout: 300_000,
  maxWorkers: 1,
};
