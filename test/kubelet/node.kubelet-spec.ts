/**
 * The chart's pods on a real node: kubelet and kube-proxy of the API server's Kubernetes build,
 * containerd 2 with runc, CoreDNS, all in the sealed network namespace of scripts/test-kubelet.sh
 * (this process runs in it too). values-minikube.yaml is installed as a user installs it, under
 * restricted Pod Security; the API is reached through NodePort 32432 on the node's address, as
 * `curl http://$(minikube ip):32432` reaches it.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, condition, mustGet, run } from '../cluster/kube';

const NODE_NAME = 'slack-metrics-node';

const nodeIp = process.env.NODE_IP;
if (!nodeIp) throw new Error('NODE_IP is not set: run these tests through scripts/test-kubelet.sh');
const ctr = (args: string[]) => run(join(REPO_ROOT, '.tools/bin/ctr'), args);

describe('the sealed node', () => {
  it('lives in a network namespace with loopback and the pod bridge only, and no route out', async () => {
    const routes = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
    expect(routes.code).toBe(0);
    expect(routes.stdout).not.toMatch(/^default /m);
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(': ')[1].split('@')[0]);
    expect(links.filter((name) => name !== 'lo' && name !== 'cni0' && !name.startsWith('veth'))).toEqual([]);
    // Without a route the kernel refuses the connection before any packet is sent.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '192.0.2.1', port: 80 });
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(outcome).toBe('ENETUNREACH');
  });

  it('is a real kubelet of the same build on containerd 2, ready, at the pod bridge address', async () => {
    const node = await mustGet('', 'node', NODE_NAME);
    expect(condition(node, 'Ready')?.status).toBe('True');
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.36.3');
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/v?2\.4\.2$/);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: nodeIp });
    const images = (await ctr(['images', 'list', '-q'])).stdout.split('\n');
    expect(images).toEqual(expect.arrayContaining(['localhost/slack-metrics:dev', 'docker.io/library/postgres:15']));
  });
});
