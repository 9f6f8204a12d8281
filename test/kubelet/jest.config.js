/**
 * The chart's pods on a real node (scripts/test-kubelet.sh starts the sealed cluster and runs this
 * config inside its network namespace). Kept apart from the root config like test/cluster/: these
 * tests need that cluster, and no PostgreSQL of their own.
 */
const root = require('../../jest.config.js');
const { displayName: _unit, testMatch: _unitMatch, ...shared } = root.projects[0];

module.exports = {
  ...shared,
  displayName: 'kubelet',
  testMatch: ['<rootDir>/test/kubelet/**/*.kubelet-spec.ts'],
  // Each step builds on the cluster state the previous one left.
  testTimeout: 300_000,
  maxWorkers: 1,
};
