// The rolldown configuration of an app's executable: `src/main.ts` and everything it imports (the
// workspace packages from their TypeScript sources, the npm dependencies) in one ES module,
// `dist/main.js`, with its source map beside it. What the image, the lab and the package's `bin` run.
//
// One file instead of tsc's tree of modules plus node_modules: Node's ES module loader keeps a
// record, a compiled wrapper and the source text per module, and resolves each import through
// package.json lookups; a speaker that loads ~200 modules idles at ~90 MB RSS, the bundle at less
// (apps/speaker/README.md, "Memory"). tsc still builds the library (dist/index.js and the rest,
// with their declarations); the build excludes src/main.ts, which only this bundle emits.
//
// A dynamic import() stays one: its modules go to dist/chunks/ and load only when a run needs them
// (the speaker's file mode, the controller's webhook).
//
// Usage, from an app's rolldown.config.mjs:
//   export default appBundle(import.meta.dirname, { external: ['koffi'] });

import fs from 'node:fs';
import path from 'node:path';

/**
 * @param {string} dir the app's directory
 * @param {{ external?: string[] }} [opts] modules left to Node at run time (native addons: their
 *   binary is found by a path computed at run time, which no bundler can follow)
 */
export function appBundle(dir, opts = {}) {
  // The previous build's chunks (tsc's files in dist/ stay: they are the library).
  fs.rmSync(path.join(dir, 'dist/chunks'), { recursive: true, force: true });
  return {
    input: path.join(dir, 'src/main.ts'),
    platform: 'node',
    tsconfig: path.join(dir, 'tsconfig.build.json'),
    // The workspace packages' sources, as the tests and the benchmarks run them.
    resolve: { conditionNames: ['@bmlb/source', 'node', 'import', 'default'] },
    external: [/^node:/, ...(opts.external ?? [])],
    // Everything reachable is kept as written; only unused exports go.
    treeshake: true,
    checks: { circularDependency: false },
    output: {
      dir: path.join(dir, 'dist'),
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name].js',
      sourcemap: true,
      // No minification: stack traces and logs keep the functions' names.
      minify: false,
      // V8 keeps the source text in the heap for as long as the process runs (it compiles functions
      // lazily from it). One character past Latin-1 (a '→' in a log message) makes it keep the whole
      // text at two bytes a character: escaped, the speaker's 1.1 MB bundle takes 1.1 MB, not 2.3.
      charset: 'ascii',
      // Doc comments are text the heap keeps too (the source map still points into the sources);
      // license notices stay.
      comments: { legal: true, annotation: true, jsdoc: false },
    },
  };
}
