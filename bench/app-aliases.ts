/**
 * The libraries import one another as `@app/<name>`, which the apps' bundler
 * resolves. The benchmarks are compiled by tsc alone, which leaves those
 * names in the output, so they are resolved here to the compiled libraries
 * beside the benchmark. Imported first, before anything that needs them.
 */
import Module from 'node:module';
import { join } from 'node:path';

type Resolve = (request: string, ...rest: unknown[]) => string;
const modules = Module as unknown as { _resolveFilename: Resolve };
const resolveFilename = modules._resolveFilename;
modules._resolveFilename = function (this: unknown, request, ...rest) {
  const library = /^@app\/([a-z]+)(\/.*)?$/.exec(request);
  return resolveFilename.call(this, library ? join(__dirname, '../libs', library[1], 'src', library[2] ?? '') : request, ...rest);
};
