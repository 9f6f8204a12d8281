// Writes kwok's configuration for scripts/test-cluster.sh to stdout: kwok's own stages, read from
// its module source (the directory given as the only argument), plus test/cluster/kwok-stages.yaml.
//
// One change to kwok's stages: pod-ready leaves alone pods whose readiness probe is the API's
// /health/ready. No container runs under kwok, so nothing would answer that probe; the test plays
// it instead (see stand-ins.ts): an API pod turns ready once the migrations of its image ran.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const [kwokDir] = process.argv.slice(2);
if (!kwokDir) {
  console.error('usage: node kwok-stages.mjs <kwok module directory>');
  process.exit(2);
}
const kwokStages = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
  'volume/fast/pv-bind.yaml',
  'volume/fast/pv-delete.yaml',
  'volume/fast/pvc-provision.yaml',
  'volume/fast/pvc-delete.yaml',
].map((file) => join(kwokDir, 'kustomize/stage', file));
const ownStages = [join(dirname(fileURLToPath(import.meta.url)), 'kwok-stages.yaml')];

const readinessProbePath = '/health/ready';
const stages = [...kwokStages, ...ownStages].flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc.toJS();
  }),
);
const podReady = stages.find((stage) => stage.metadata.name === 'pod-ready');
if (!podReady) throw new Error(`no pod-ready stage in ${kwokDir}`);
podReady.spec.selector.matchExpressions.push({
  key: '.spec.containers.[].readinessProbe.httpGet.path',
  operator: 'NotIn',
  values: [readinessProbePath],
});
process.stdout.write(stages.map((stage) => stringify(stage)).join('---\n'));
