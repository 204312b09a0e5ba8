// @fastify/swagger-ui inside the server's bundle, so it and what it loads (@fastify/static, yaml, glob,
// send) start from V8's code cache with the rest instead of being read and compiled from node_modules
// at every start (~80 ms of a start's ~680 ms of CPU: docs/performance.md, "Start-up"). It serves its
// page's files from its own folder, which it finds by __dirname: in a bundle that is the bundle's
// folder, so each of its files is given its real folder instead, resolved at run time from wherever
// the bundle runs (node_modules, as better-sqlite3 is).
import { readFile } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';

/** @type {import('esbuild').Plugin} */
export const swaggerUiFromItsFolder = {
  name: 'swagger-ui-from-its-folder',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@fastify[\\/]swagger-ui[\\/].*\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const root = path.slice(0, path.lastIndexOf(`${sep}swagger-ui${sep}`) + `${sep}swagger-ui`.length);
      const below = relative(root, dirname(path)).split(sep).filter(Boolean);
      // The name through a parameter: a literal would have esbuild resolve it at build time, and warn.
      const parts = [...below, '.'].map((p) => JSON.stringify(p)).join(', ');
      const folder = `((name) => require('node:path').join(require('node:path').dirname(require.resolve(name)), ${parts}))('@fastify/swagger-ui')`;
      return { contents: source.replaceAll('__dirname', `(${folder})`), loader: 'js' };
    });
  },
};
