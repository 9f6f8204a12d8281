import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const child = globalThis.__TEST_POSTGRES__;
  if (child && child.exitCode === null) {
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
  // The global setup set it, in this same process.
  const scratch = process.env.TEST_SCRATCH_DIR;
  if (scratch && !process.env.KEEP_TEST_FILES) rmSync(scratch, { recursive: true, force: true });
}
