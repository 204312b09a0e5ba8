// Compiling a schema (an Ajv validator, a fast-json-stringify serializer) costs milliseconds, so each is
// compiled once per process, on first use: lib/ajv.ts and lib/serialize.ts wrap their compilers with
// this (docs/performance.md, "Start-up").

/**
 * `build` made lazy and shared: `compiledOnce(build)(schema)` returns at once a getter of the compiled
 * function, which builds it on its first call. An equal copy of a schema (Fastify hands each app its
 * own copies of a route's schemas) gets the function compiled for the first.
 */
export function compiledOnce<F>(build: (schema: object) => F): (schema: object) => () => F {
  const byContent = new Map<string, F>();
  return (schema) => {
    let built: F | undefined;
    return () => {
      if (built === undefined) {
        const key = JSON.stringify(schema);
        built = byContent.get(key);
        if (built === undefined) {
          built = build(schema);
          byContent.set(key, built);
        }
      }
      return built;
    };
  };
}
