// Builds the dashboard into dist/dashboard/: index.html, and the script and stylesheet under
// assets/ with content hashes in their names, so the API can let browsers cache them for a year.
import { rspack } from '@rspack/core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT_DIR = join(here, '../../dist/dashboard');

const compiler = rspack({
  mode: 'production',
  context: here,
  entry: { main: './src/main.ts' },
  target: ['web', 'es2022'],
  devtool: false,
  output: {
    path: OUTPUT_DIR,
    // Relative, so the page works under any path prefix an Ingress adds.
    publicPath: '',
    filename: 'assets/[name].[contenthash:12].js',
    cssFilename: 'assets/[name].[contenthash:12].css',
    crossOriginLoading: 'anonymous',
    clean: true,
  },
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        loader: 'builtin:swc-loader',
        options: { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } },
        type: 'javascript/auto',
      },
      { test: /\.css$/, type: 'css' },
    ],
  },
  plugins: [
    new rspack.HtmlRspackPlugin({
      template: './src/index.html',
      favicon: './src/favicon.svg',
      inject: 'head',
      scriptLoading: 'defer',
      minify: true,
    }),
    new rspack.SubresourceIntegrityPlugin({ hashFuncNames: ['sha384'] }),
  ],
});

compiler.run((error, stats) => {
  compiler.close(() => {});
  if (error) {
    process.stderr.write(`dashboard build failed: ${error.stack ?? error}\n`);
    process.exit(1);
  }
  process.stdout.write(`${stats.toString({ colors: false, modules: false, preset: 'minimal', assets: true })}\n`);
  if (stats.hasErrors()) process.exit(1);
});
