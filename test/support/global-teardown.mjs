import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const child = globalThis.__TEST_POSTGRES__;
  if (child && child.exitCode === null) {
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
  const scratch = globalThis.__TEST_SCRATCH__;
  if (scratch && !process.env.KEEP_TEST_FILES) rmSync(scratch, { recursive: true, force: true });
}
