// Runs one of Kassa's bundled programs (a CommonJS file, see scripts/bundle.mjs) with V8's code cache:
// the functions V8 compiled while a process ran are saved next to the bundle when it exits, and the
// next start reads them instead of parsing and compiling three megabytes of JavaScript again
// (docs/performance.md, "Start-up"). Node 22 does this itself (module.enableCompileCache); Node 20
// has only the V8 API underneath, which is what this uses.
//
// The cache is an optimisation only. V8 refuses one made by another version or with other flags, but
// of the source it checks only the length, so the cache's name holds a hash of the source: a rebuilt
// program never meets the code of another. A cache that cannot be read or written (a read-only
// install) is no cache. It is written at exit when the start had none or V8 refused it, to a
// temporary file renamed into place, so processes stopping together never leave half a file.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname } = require('node:path');
const { Script, constants } = require('node:vm');

/**
 * Runs `file` as the CommonJS module it is. Returns what the cache did: 'used', or 'absent' or
 * 'refused' (then one is written when the process exits).
 */
function run(file) {
  // Hashed as the bytes read: hashing the decoded string would encode its megabytes again (~10 ms a start).
  const bytes = readFileSync(file);
  const cacheFile = `${file}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.v8-cache`;
  const source = bytes.toString('utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  const script = new Script(wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const outcome = cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'refused' : 'used';
  if (outcome !== 'used') {
    process.once('exit', () => {
      const temporary = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, cacheFile);
      } catch {
        rmSync(temporary, { force: true });
      }
    });
  }
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return outcome;
}

module.exports = { run };
