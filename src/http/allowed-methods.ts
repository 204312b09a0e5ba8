// The methods each known path serves, for the not-found handler: a path Kassa knows, asked with a method
// it does not serve, is 405 with `Allow` (RFC 9110 §15.5.6), not 404. Filled from the app's onRoute
// hook, so every route, present or future, is covered without a list to keep.
import type { RouteOptions } from 'fastify';

/** Fastify's catch-all preflight route (@fastify/cors): it answers OPTIONS anywhere, so it names no path. */
const CATCH_ALL = '*';

export class AllowedMethods {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byUrl = new Map<string, Set<string>>();

  /** An onRoute hook: records the route's methods under its URL pattern. */
  readonly record = (route: RouteOptions): void => {
    if (route.url === CATCH_ALL) return;
    let methods = this.byUrl.get(route.url);
    if (!methods) {
      methods = new Set();
      this.byUrl.set(route.url, methods);
      // `:param` is one path segment, `*` the rest of the path; a trailing slash is ignored (app.ts).
      const source = route.url
        .replace(/\/$/, '')
        .split(/(:[^/]+|\*)/)
        .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      this.routes.push({ pattern: new RegExp(`^${source}/?$`), methods });
    }
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) methods.add(method.toUpperCase());
  };

  /** The methods some route serves at `path` (no query string), sorted; empty for an unknown path. */
  at(path: string): string[] {
    const out = new Set<string>();
    for (const route of this.routes) if (route.pattern.test(path)) for (const m of route.methods) out.add(m);
    return [...out].sort();
  }
}
