import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/processes';
import { renderChart } from './support/tools';

const SECRET_VALUES = {
  'postgresql.auth.password': 'pg-password-Zq81kd0a',
  'externalDatabase.password': 'ext-password-Lm29xx7r',
  'secrets.apiTokens': 'api-read-token-Wb5h3n6c9v0e',
  'secrets.apiAdminTokens': 'api-admin-token-Pt7y4u1i2o8a',
  'secrets.slackBotToken': 'xoxb-bot-token-Qe3r5t7y9u1i',
  'secrets.slackSigningSecret': 'signing-secret-Kd8f6g4h2j0l',
};

describe('secrets stay in Secrets', () => {
  it.each([
    ['the in-chart PostgreSQL', []],
    [
      'an external database',
      [
        '--set',
        'postgresql.enabled=false',
        '--set',
        'externalDatabase.host=db.example.internal',
        '--set',
        'externalDatabase.user=metrics',
        '--set',
        'externalDatabase.database=metrics',
      ],
    ],
  ])('with %s, no rendered object but the Secret holds a secret value, in any encoding', (_name, extra) => {
    const set = Object.entries(SECRET_VALUES).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
    const manifests = renderChart([
      ...set,
      ...extra,
      '--set',
      'backup.enabled=true',
      '--set',
      'serviceMonitor.enabled=true',
      '--set',
      'prometheusRule.enabled=true',
      '--set',
      'grafana.dashboard.enabled=true',
    ]);
    expect(manifests.some((manifest) => manifest.kind === 'ConfigMap')).toBe(true);
    const unused = extra.includes('postgresql.enabled=false') ? 'postgresql.auth.password' : 'externalDatabase.password';
    const relevant = Object.entries(SECRET_VALUES).filter(([key]) => key !== unused);
    for (const manifest of manifests.filter((candidate) => candidate.kind !== 'Secret')) {
      const text = JSON.stringify(manifest);
      for (const [key, value] of relevant) {
        for (const encoded of [value, Buffer.from(value).toString('base64')]) {
          expect({ object: `${manifest.kind}/${manifest.metadata.name}`, leaks: key, found: text.includes(encoded) }).toEqual({
            object: `${manifest.kind}/${manifest.metadata.name}`,
            leaks: key,
            found: false,
          });
        }
      }
    }
    const secret = manifests.find((manifest) => manifest.kind === 'Secret') as unknown as { data: Record<string, string> };
    const stored = Object.values(secret.data).map((value) => Buffer.from(value, 'base64').toString());
    for (const [, value] of relevant) expect(stored).toContain(value);
  });

  it('the image build context leaves out local secrets, and the image keeps only the build output', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const pattern of ['.env', '.envrc', 'values-secrets.yaml', '.data', '.tools', '.git']) expect(ignored).toContain(pattern);

    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const copied = [...finalStage.matchAll(/^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+$/gm)].map((match) => match[1]);
    expect(copied.sort()).toEqual(['/app/node_modules', '/src/dist', 'package.json']);
    expect(dockerfile).not.toMatch(/^(ENV|ARG)\s+\S*(TOKEN|SECRET|PASSWORD)/im);
  });
});
